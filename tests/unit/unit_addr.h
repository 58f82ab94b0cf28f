/* Test addresses for unit tests: 2001:db8::N (the documentation prefix). */
#ifndef UNIT_ADDR_H
#define UNIT_ADDR_H

#include <stdint.h>
#include "proto.h"

static inline struct proto_addr unit_addr(uint32_t n)
{
	struct proto_addr a = { { 0x20, 0x01, 0x0d, 0xb8 } };

	a.b[12] = (uint8_t)(n >> 24);
	a.b[13] = (uint8_t)(n >> 16);
	a.b[14] = (uint8_t)(n >> 8);
	a.b[15] = (uint8_t)n;
	return a;
}

#endif
