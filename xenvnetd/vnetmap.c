#include "vnetmap.h"

#include <stdlib.h>
#include <string.h>

void vnetmap_init(struct vnetmap *m)
{
	memset(m, 0, sizeof(*m));
}

void vnetmap_free(struct vnetmap *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* The slot holding id, or the first free one on its probe path. */
static struct vnetmap_slot *probe(const struct vnetmap *m, const struct vnet_id *id, bool for_insert)
{
	size_t mask = m->cap - 1, i = (size_t)vnet_id_hash(id) & mask;
	struct vnetmap_slot *tomb = NULL;

	for (size_t n = 0; n < m->cap; n++, i = (i + 1) & mask) {
		struct vnetmap_slot *s = &m->v[i];
		if (s->ifindex == 0)
			return for_insert && tomb ? tomb : for_insert ? s : NULL;
		if (s->ifindex < 0) {
			if (!tomb)
				tomb = s;
		} else if (vnet_id_equal(&s->id, id)) {
			return s;
		}
	}
	return for_insert ? tomb : NULL;
}

static int grow(struct vnetmap *m)
{
	struct vnetmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->used = 0;
	m->v = calloc(m->cap, sizeof(*m->v));
	if (!m->v) {
		*m = old;
		return -1;
	}
	for (size_t i = 0; i < old.cap; i++)
		if (old.v[i].ifindex > 0)
			vnetmap_set(m, &old.v[i].id, old.v[i].ifindex);
	free(old.v);
	return 0;
}

int vnetmap_set(struct vnetmap *m, const struct vnet_id *id, int ifindex)
{
	struct vnetmap_slot *s;

	if (ifindex <= 0) {
		s = m->cap ? probe(m, id, false) : NULL;
		if (s)
			s->ifindex = -1;
		return 0;
	}
	if ((m->used + 1) * 2 > m->cap && grow(m) < 0)
		return -1;
	s = probe(m, id, true);
	if (s->ifindex == 0)
		m->used++; /* tombstones were counted when first used */
	s->id = *id;
	s->ifindex = ifindex;
	return 0;
}

int vnetmap_get(const struct vnetmap *m, const struct vnet_id *id)
{
	const struct vnetmap_slot *s = m->cap ? probe(m, id, false) : NULL;

	return s ? s->ifindex : 0;
}

const struct vnet_id *vnetmap_find_ifindex(const struct vnetmap *m, int ifindex)
{
	for (size_t i = 0; ifindex > 0 && i < m->cap; i++)
		if (m->v[i].ifindex == ifindex)
			return &m->v[i].id;
	return NULL;
}
