/* Epoch arithmetic and the offset adoption rule. */
#include "cluster_esp_rot.h"

enum cesp_rot_verdict cesp_rot_adopt(uint32_t ours, uint32_t theirs)
{
	uint32_t ahead = theirs - ours;

	if (ahead == 0 || ahead >= 0x80000000u)
		return CESP_ROT_KEEP;
	return ahead <= CESP_ROT_STEP_MAX ? CESP_ROT_ADOPT : CESP_ROT_REFUSE;
}

uint32_t cesp_rot_epoch(uint64_t ms, unsigned rekey_s, uint32_t offset, uint64_t *ms_to_next)
{
	uint64_t period = (uint64_t)rekey_s * 1000u;

	if (ms_to_next)
		*ms_to_next = period - ms % period;
	return (uint32_t)(ms / period) + offset;
}

uint64_t cesp_rot_hard_s(uint32_t epoch, uint32_t offset, unsigned rekey_s, uint64_t now_s)
{
	/* the wall-clock period @epoch belongs to */
	uint64_t period = (uint32_t)(epoch - offset), end = (period + 2u) * rekey_s;

	return end > now_s ? end - now_s : 1;
}
