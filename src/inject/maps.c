/* SPDX-License-Identifier: MIT */
/*
 * maps.c - /proc/PID/maps parser and memory classification (see maps.h).
 *
 * A line is "start-end perms offset major:minor inode [path]", hex numbers
 * except the inode; the path starts after the run of spaces that follows
 * the inode and runs to the end of the line (it may contain spaces).
 */
#include "inject/maps.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "inject/proc.h"

static bool hexnum(const char **p, const char *end, uint64_t *out)
{
	const char *q = *p;
	uint64_t v = 0;
	int digits = 0;

	while (q < end) {
		int d;

		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (*q >= 'a' && *q <= 'f')
			d = *q - 'a' + 10;
		else if (*q >= 'A' && *q <= 'F')
			d = *q - 'A' + 10;
		else
			break;
		if (digits == 16)
			return false;
		v = v << 4 | (uint64_t)d;
		digits++;
		q++;
	}
	if (!digits)
		return false;
	*p = q;
	*out = v;
	return true;
}

static bool decnum(const char **p, const char *end, uint64_t *out)
{
	const char *q = *p;
	uint64_t v = 0;

	if (q >= end || *q < '0' || *q > '9')
		return false;
	while (q < end && *q >= '0' && *q <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*q - '0');
		q++;
	}
	*p = q;
	*out = v;
	return true;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

static bool spaces(const char **p, const char *end)
{
	if (*p >= end || **p != ' ')
		return false;
	while (*p < end && **p == ' ')
		(*p)++;
	return true;
}

static int parse_line(const char *p, const char *end, struct ph_map *e, size_t lineno)
{
	uint64_t maj, min;

	memset(e, 0, sizeof(*e));
	if (!hexnum(&p, end, &e->start) || !expect(&p, end, '-') || !hexnum(&p, end, &e->end) ||
	    !spaces(&p, end) || end - p < 4)
		goto bad;
	e->r = p[0] == 'r';
	e->w = p[1] == 'w';
	e->x = p[2] == 'x';
	e->shared = p[3] == 's';
	p += 4;
	if (!spaces(&p, end) || !hexnum(&p, end, &e->offset) || !spaces(&p, end) ||
	    !hexnum(&p, end, &maj) || !expect(&p, end, ':') || !hexnum(&p, end, &min) ||
	    !spaces(&p, end) || !decnum(&p, end, &e->inode))
		goto bad;
	if (e->end < e->start || maj > UINT32_MAX || min > UINT32_MAX)
		goto bad;
	e->dev_major = (uint32_t)maj;
	e->dev_minor = (uint32_t)min;
	while (p < end && *p == ' ')
		p++;
	e->path = strndup(p, (size_t)(end - p));
	if (!e->path)
		return ph_error(PH_ENOMEM, "out of memory parsing maps");
	return 0;
bad:
	return ph_error(PH_EIO, "cannot parse line %zu of the process's memory map", lineno);
}

int ph_maps_parse(const char *text, size_t len, struct ph_maps *m)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	int err = 0;

	memset(m, 0, sizeof(*m));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		lineno++;
		if (le > p) {
			if (m->n == m->cap) {
				size_t ncap = m->cap ? m->cap * 2 : 64;
				struct ph_map *nv = realloc(m->v, ncap * sizeof(*nv));

				if (!nv) {
					err = ph_error(PH_ENOMEM, "out of memory parsing maps");
					break;
				}
				m->v = nv;
				m->cap = ncap;
			}
			err = parse_line(p, le, &m->v[m->n], lineno);
			if (err)
				break;
			m->n++;
		}
		p = nl ? nl + 1 : end;
	}
	if (err)
		ph_maps_release(m);
	return err;
}

int ph_maps_read(pid_t pid, struct ph_maps *m)
{
	char *text;
	size_t len;
	int err = ph_proc_read_file(pid, "maps", &text, &len);

	if (err)
		return err;
	err = ph_maps_parse(text, len, m);
	free(text);
	return err;
}

void ph_maps_release(struct ph_maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static const struct ph_map *find_index(const struct ph_maps *m, uint64_t addr, size_t *idx)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else {
			*idx = mid;
			return &m->v[mid];
		}
	}
	return NULL;
}

const struct ph_map *ph_maps_find(const struct ph_maps *m, uint64_t addr)
{
	size_t i;

	return find_index(m, addr, &i);
}

bool ph_map_is_file(const struct ph_map *e)
{
	return e->path && e->path[0] == '/' && e->inode != 0;
}

const char *ph_map_basename(const struct ph_map *e)
{
	const char *s = e->path ? strrchr(e->path, '/') : NULL;

	return s ? s + 1 : (e->path ? e->path : "");
}

enum ph_mem_kind ph_maps_kind(const struct ph_maps *m, uint64_t addr)
{
	size_t i;
	const struct ph_map *e = find_index(m, addr, &i);

	if (!e)
		return PH_MEM_UNMAPPED;
	if (ph_map_is_file(e))
		return PH_MEM_FILE;
	if (strcmp(e->path, "[heap]") == 0)
		return PH_MEM_HEAP;
	if (strncmp(e->path, "[stack", 6) == 0)
		return PH_MEM_STACK;
	if (e->path[0] == '[')
		return PH_MEM_SPECIAL;
	if (e->path[0] == '\0' && e->inode == 0 && i > 0 && m->v[i - 1].end == e->start &&
	    ph_map_is_file(&m->v[i - 1]))
		return PH_MEM_FILE_BSS;
	if (e->path[0] != '\0')
		return PH_MEM_FILE; /* memfd, shm, a deleted file: treat as a file */
	return PH_MEM_ANON;
}

bool ph_maps_contains(const struct ph_maps *m, const char *needle)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].path && strstr(m->v[i].path, needle))
			return true;
	return false;
}
