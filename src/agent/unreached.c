/* SPDX-License-Identifier: MIT */
/*
 * unreached.c - objects held only from C, found in pymalloc's blocks in use
 * (see unreached.h).
 *
 * pymalloc's structures, the same in 3.8-3.15 (x86_64): an arena_object is
 * {uintptr_t address; block *pool_address; uint nfreepools, ntotalpools;
 * pool_header *freepools; arena_object *nextarena, *prevarena} (48 bytes);
 * address 0 marks an unused entry. An arena's pools start at address rounded
 * up to the pool size; those below pool_address were carved. A pool header
 * is {union {block *; uint count} ref; block *freeblock; pool_header
 * *nextpool, *prevpool; uint arenaindex, szidx, nextoffset, maxnextoffset}
 * (48 bytes, which is also where the first block starts); a pool in use has
 * count > 0, blocks of (szidx + 1) * 16 bytes from offset 48 up to
 * nextoffset, the free ones linked from freeblock.
 */
#include "agent/unreached.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "agent/record.h"
#include "common/error.h"

#define ARENA_OBJECT_SIZE 48
#define AO_ADDRESS        0
#define AO_POOL_ADDRESS   8
#define POOL_OVERHEAD     48
#define PH_COUNT          0
#define PH_FREEBLOCK      8
#define PH_ARENAINDEX     32
#define PH_SZIDX          36
#define PH_NEXTOFFSET     40
#define SIZE_CLASSES      32 /* 512 / 16 */
#define GRAIN_SHIFT       4  /* objects are 16-byte aligned */
#define MAX_ARENAS        (1u << 20) /* 1 TiB of 1 MiB arenas: more is not a table we trust */
#define MAX_REFCNT        ((uint64_t)1 << 40)

static int arena_cmp(const void *a, const void *b)
{
	const struct ph_unreached_arena *x = a, *y = b;

	return (x->base > y->base) - (x->base < y->base);
}

/* The [heap] mapping of this process, from /proc/self/maps (false: none, or no /proc). */
static bool heap_bounds(uintptr_t *lo, uintptr_t *hi)
{
	char buf[8192];
	size_t have = 0;
	bool found = false;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line, *nl;

		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			unsigned long a, b;

			*nl = '\0';
			if (strstr(line, "[heap]") && sscanf(line, "%lx-%lx", &a, &b) == 2) {
				*lo = a;
				*hi = b;
				found = true;
			}
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			have = 0; /* a line longer than the buffer: not [heap]'s */
	}
	close(fd);
	return found;
}

int ph_unreached_init(struct ph_unreached *U, const struct ph_py *py)
{
	const struct ph_l_interp *I = py->L->is;
	uintptr_t table = 0, arena_size;
	uint32_t max = 0;

	memset(U, 0, sizeof(*U));
	U->py = py;
	U->pool_size = (size_t)1 << py->caps->pool_bits;
	if (py->n_interps > 1) {
		/* another interpreter's objects share the allocators and are not this walk's */
		U->why = U->heap_why = "several interpreters run in the process";
		return 0;
	}
	if (!heap_bounds(&U->heap_lo, &U->heap_hi))
		U->heap_why = "no [heap] in /proc/self/maps";
	else if (ph_seen_init(&U->others, 1 << 12))
		return ph_error(PH_ENOMEM, "agent: out of memory for the unreached objects");
	arena_size = U->pool_size == 4096 ? (uintptr_t)256 << 10 : (uintptr_t)1 << 20;
	switch (py->caps->obmalloc) {
	case PH_OBM_STATICS:
		if (!py->obm_arenas_var || !py->obm_maxarenas_var) {
			U->why = "the interpreter has no symbol table (stripped): pymalloc's arenas cannot be found";
			return 0;
		}
		table = ph_rd(py->obm_arenas_var, 0);
		max = ph_rd_u32(py->obm_maxarenas_var, 0);
		break;
	case PH_OBM_STATE:
	case PH_OBM_STATE_PTR: {
		uintptr_t state = py->interp + (uintptr_t)I->obmalloc;

		if (I->obmalloc < 0) {
			U->why = "no layout for pymalloc's state";
			return 0;
		}
		if (py->caps->obmalloc == PH_OBM_STATE_PTR)
			state = ph_rd(py->interp, I->obmalloc);
		if (!state) {
			U->why = "the interpreter has no pymalloc state";
			return 0;
		}
		table = ph_rd(state, I->obm_arenas);
		max = ph_rd_u32(state, I->obm_maxarenas);
		break;
	}
	default:
		U->why = "no layout for pymalloc's state";
		return 0;
	}
	if (!table || !max || max > MAX_ARENAS) {
		U->why = table ? "pymalloc's table of arenas is implausible" : "pymalloc is not in use";
		return 0;
	}
	U->arenas = calloc(max, sizeof(*U->arenas));
	if (!U->arenas)
		return ph_error(PH_ENOMEM, "agent: out of memory for %u arenas", max);
	for (uint32_t i = 0; i < max; i++) {
		uintptr_t ao = table + (uintptr_t)i * ARENA_OBJECT_SIZE, base = ph_rd(ao, AO_ADDRESS);
		struct ph_unreached_arena *a;

		if (!base)
			continue;
		a = &U->arenas[U->n++];
		a->index = i;
		a->base = base;
		a->end = base + arena_size;
		a->carved = ph_rd(ao, AO_POOL_ADDRESS);
		if (a->carved < base || a->carved > a->end)
			a->carved = a->end;
		a->bits = calloc((arena_size >> GRAIN_SHIFT) / 64, 8);
		if (!a->bits)
			return ph_error(PH_ENOMEM, "agent: out of memory for the arenas' bitmaps");
	}
	qsort(U->arenas, U->n, sizeof(*U->arenas), arena_cmp);
	return 0;
}

static struct ph_unreached_arena *arena_of(const struct ph_unreached *U, uintptr_t o)
{
	size_t lo = 0, hi = U->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o < U->arenas[mid].base)
			hi = mid;
		else if (o >= U->arenas[mid].end)
			lo = mid + 1;
		else
			return &U->arenas[mid];
	}
	return NULL;
}

void ph_unreached_mark(struct ph_unreached *U, uintptr_t o)
{
	struct ph_unreached_arena *a = U->n ? arena_of(U, o) : NULL;
	uint64_t bit;

	if (a) {
		bit = (o - a->base) >> GRAIN_SHIFT;
		a->bits[bit / 64] |= (uint64_t)1 << (bit % 64);
	} else if (!U->heap_why && o >= U->heap_lo && o < U->heap_hi &&
		   ph_seen_add(&U->others, o, NULL)) {
		U->heap_why = "out of memory"; /* no search beats a wrong one */
	}
}

bool ph_unreached_marked(const struct ph_unreached *U, uintptr_t o)
{
	const struct ph_unreached_arena *a = U->n ? arena_of(U, o) : NULL;
	uint64_t bit;

	if (!a)
		return ph_seen_has(&U->others, o);
	bit = (o - a->base) >> GRAIN_SHIFT;
	return (a->bits[bit / 64] >> (bit % 64)) & 1;
}

/*
 * Whether an object of type ti at offset off fits a block of size bytes as
 * CPython allocates it: it fits, and a fixed-size object (neither a str,
 * whose size its length sets, nor a 3.13+ instance, whose values follow it)
 * leaves less than the 16-byte rounding unused. Interiors of other blocks
 * that happen to hold a type's address fail this, nearly always.
 */
/* The words of a would-be object: before it (a GC header's first), and its first three. */
struct words {
	uint64_t gc_next, rc, type, size;
};

static bool fits(const struct ph_tinfo *ti, const struct words *w, uint64_t off, uint64_t size)
{
	uint64_t need = off + (uint64_t)ti->basicsize;

	if (ti->basicsize <= 0 || ti->kind == PH_K_STR)
		return ti->basicsize > 0 && off + 16 <= size;
	if (ti->itemsize > 0 && ti->kind != PH_K_INT) { /* int's size word is not a count on 3.12+ */
		int64_t n = (int64_t)w->size;

		if (n < 0)
			n = -n;
		if ((uint64_t)n > size)
			return false;
		need += (uint64_t)ti->itemsize * (uint64_t)n;
	}
	if (need > size)
		return false;
	return ti->itemsize || (ti->flags & PH_TPF_INLINE_VALUES) || size - need < 16;
}

/*
 * An unmarked live object at o, at offset off of a block of size bytes, whose
 * words are w (read from o, or from a copy): its type info or NULL.
 */
static const struct ph_tinfo *candidate(struct ph_unreached *U, struct ph_types *T, uintptr_t o,
					const struct words *w, uint64_t off, uint64_t size)
{
	const uint64_t *ti_p = ph_addrmap_get(&T->map, w->type);
	const struct ph_tinfo *ti;
	uint64_t rc;

	if (!ti_p)
		return NULL; /* not a type the walk met (nor a type at all, as far as we know) */
	ti = (const struct ph_tinfo *)(uintptr_t)*ti_p;
	if (!ti || ti->is_gc_fn || ti->addr == U->py->t_type)
		return NULL; /* type objects: the walk meets every one it can read */
	/*
	 * The whole first word: 3.12+ count in its low 32 bits, and a free list
	 * (3.14's _Py_freelist) links its dead objects through that word, so a
	 * pointer there must not pass for a count of its low half.
	 */
	rc = w->rc;
	if (rc == 0 || rc > (U->py->caps->immortal ? (uint64_t)UINT32_MAX : MAX_REFCNT) ||
	    (U->py->caps->immortal && (int32_t)(uint32_t)rc < 0))
		return NULL; /* dead (on a free list), immortal, or not a reference count */
	if (ph_record_preheader(U->py, ti, o, ti->gc) != off || !fits(ti, w, off, size))
		return NULL;
	if (ti->gc && (off < 16 || w->gc_next != 0))
		return NULL; /* tracked: in a GC list, so written by the walk */
	return ph_unreached_marked(U, o) ? NULL : ti;
}

static int push(uintptr_t **out, size_t *n, size_t *cap, uintptr_t o)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		uintptr_t *p = realloc(*out, c * sizeof(*p));

		if (!p)
			return ph_error(PH_ENOMEM, "agent: out of memory for the unreached objects");
		*out = p;
		*cap = c;
	}
	(*out)[(*n)++] = o;
	return 0;
}

/*
 * Copies of the heap, a window at a time, read with process_vm_readv(): an
 * address another thread just gave back to the system reads as a failure,
 * not a crash.
 */
struct window {
	uintptr_t lo, hi;
	uint8_t buf[1 << 16];
};

static bool peek(struct window *win, uintptr_t limit, uintptr_t a, void *out, size_t n)
{
	if (a < win->lo || a + n > win->hi) {
		size_t want = sizeof(win->buf);
		struct iovec local, remote;
		ssize_t got;

		if (a + n > limit)
			return false;
		if (want > limit - a)
			want = limit - a;
		local.iov_base = win->buf;
		local.iov_len = want;
		remote.iov_base = (void *)a;
		remote.iov_len = want;
		got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (got < (ssize_t)n) {
			win->lo = win->hi = 0;
			return false;
		}
		win->lo = a;
		win->hi = a + (size_t)got;
	}
	memcpy(out, win->buf + (a - win->lo), n);
	return true;
}

#define SMALL_MAX  512 /* larger objects come from the C allocator */
#define PREV_INUSE 1

/* glibc's chunks in [heap]: {prev_size, size | flags} then the data; a chunk is in use when the next one's PREV_INUSE says so. */
static int scan_heap(struct ph_unreached *U, struct ph_types *T, uintptr_t **out, size_t *n,
		     size_t *cap)
{
	struct window *win = malloc(sizeof(*win));
	uintptr_t c = (U->heap_lo + 15) & ~(uintptr_t)15, hi = U->heap_hi;
	int err = 0;

	if (!win)
		return ph_error(PH_ENOMEM, "agent: out of memory for the heap search");
	win->lo = win->hi = 0;
	while (!err && c + 16 <= hi) {
		uint64_t hdr[2], next_size, size, usable;
		uintptr_t next;

		if (!peek(win, hi, c, hdr, sizeof(hdr)))
			break;
		size = hdr[1] & ~(uint64_t)7;
		if (size < 32 || size % 16 || size > hi - c)
			break; /* not a chunk: the heap changed under us, or it is not glibc's */
		next = c + size;
		if (next + 16 > hi || !peek(win, hi, next + 8, &next_size, 8))
			break; /* the top chunk */
		usable = size - 8;
		if ((next_size & PREV_INUSE) && usable > SMALL_MAX) {
			uintptr_t data = c + 16;

			for (uint64_t off = 0; off <= 32 && off + 24 <= usable; off += 16) {
				uint64_t v[4] = {0, 0, 0, 0};
				struct words w;

				if (!peek(win, hi, data + off - (off ? 16 : 0), v, off ? 32 : 24))
					break;
				w.gc_next = off ? v[0] : 0;
				w.rc = off ? v[2] : v[0];
				w.type = off ? v[3] : v[1];
				w.size = 0;
				if (!peek(win, hi, data + off + 16, &w.size, 8))
					break;
				if (candidate(U, T, data + off, &w, off, usable)) {
					err = push(out, n, cap, data + off);
					break;
				}
			}
		}
		c = next;
	}
	free(win);
	return err;
}

int ph_unreached_scan(struct ph_unreached *U, struct ph_types *T, uintptr_t **out, size_t *n)
{
	size_t cap = 0, pool_size = U->pool_size;
	uint64_t freemap[16384 / 16 / 64]; /* the free blocks of one pool, by 16-byte grain */
	int err = 0;

	*out = NULL;
	*n = 0;
	for (size_t k = 0; k < U->n && !err; k++) {
		const struct ph_unreached_arena *a = &U->arenas[k];
		uintptr_t first = (a->base + pool_size - 1) & ~(uintptr_t)(pool_size - 1);

		for (uintptr_t p = first; p + pool_size <= a->carved && !err; p += pool_size) {
			uint32_t count = ph_rd_u32(p, PH_COUNT), szidx, next;
			uint64_t size;
			uintptr_t fb;
			size_t guard = 0;

			if (ph_rd_u32(p, PH_ARENAINDEX) != a->index || count == 0)
				continue; /* not carved yet, empty, or not a pool header we trust */
			szidx = ph_rd_u32(p, PH_SZIDX);
			next = ph_rd_u32(p, PH_NEXTOFFSET);
			if (szidx >= SIZE_CLASSES || next > pool_size || next < POOL_OVERHEAD)
				continue;
			size = (uint64_t)(szidx + 1) << GRAIN_SHIFT;
			memset(freemap, 0, sizeof(freemap));
			for (fb = ph_rd(p, PH_FREEBLOCK); fb && guard < pool_size / 16; guard++) {
				uint64_t g;

				if (fb < p + POOL_OVERHEAD || fb >= p + pool_size || (fb - p) % 16)
					break; /* not this pool's: stop following */
				g = (fb - p) >> GRAIN_SHIFT;
				freemap[g / 64] |= (uint64_t)1 << (g % 64);
				fb = ph_rd(fb, 0);
			}
			for (uint64_t b = POOL_OVERHEAD; b + size <= next && !err; b += size) {
				uint64_t g = b >> GRAIN_SHIFT;

				if ((freemap[g / 64] >> (g % 64)) & 1)
					continue;
				for (uint64_t off = 0; off <= 32 && off + 16 <= size; off += 16) {
					uintptr_t o = p + b + off;
					struct words w = {off >= 16 ? ph_rd(o, -16) : 0, ph_rd(o, 0),
							  ph_rd(o, 8), off + 24 <= size ? ph_rd(o, 16) : 0};

					if (candidate(U, T, o, &w, off, size)) {
						err = push(out, n, &cap, o);
						break;
					}
				}
			}
		}
	}
	if (!err && !U->heap_why)
		err = scan_heap(U, T, out, n, &cap);
	return err;
}

void ph_unreached_release(struct ph_unreached *U)
{
	for (size_t k = 0; k < U->n; k++)
		free(U->arenas[k].bits);
	free(U->arenas);
	U->arenas = NULL;
	U->n = 0;
	ph_seen_release(&U->others);
}

size_t ph_unreached_memory(const struct ph_unreached *U)
{
	size_t n = U->n * sizeof(*U->arenas);

	for (size_t k = 0; k < U->n; k++)
		n += (size_t)(U->arenas[k].end - U->arenas[k].base) >> GRAIN_SHIFT >> 3;
	return n;
}
