/*
 * cursor.h — bounds-checked reads of untrusted bytes.
 *
 * Every decoder and extractor in sakimori reads packet and capture bytes through a cursor:
 * a pointer, a length and an offset. A read past the end never touches memory; it sets the
 * cursor's sticky `bad` flag and returns zero, so a parser can read a whole header and test
 * `cur_ok()` once (the idea of tcpdump's ND_TTEST/EXTRACT pairs, without the macros).
 *
 * Invariant: off <= len at all times; data[0 .. len) is the only memory ever read.
 */
#ifndef SK_CURSOR_H
#define SK_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const uint8_t *data;
	size_t len;
	size_t off;
	bool bad; /* set by any read that would have passed the end */
};

static inline struct cur cur_make(const void *data, size_t len)
{
	struct cur c = { (const uint8_t *)data, len, 0, false };
	return c;
}

static inline bool cur_ok(const struct cur *c) { return !c->bad; }
static inline size_t cur_left(const struct cur *c) { return c->len - c->off; }
static inline const uint8_t *cur_ptr(const struct cur *c) { return c->data + c->off; }

/* True iff n more bytes can be read; never marks the cursor bad. */
static inline bool cur_has(const struct cur *c, size_t n) { return !c->bad && n <= c->len - c->off; }

static inline bool cur_need(struct cur *c, size_t n)
{
	if (!cur_has(c, n)) {
		c->bad = true;
		return false;
	}
	return true;
}

static inline uint8_t cur_u8(struct cur *c)
{
	if (!cur_need(c, 1))
		return 0;
	return c->data[c->off++];
}

static inline uint16_t cur_be16(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	const uint8_t *p = c->data + c->off;
	c->off += 2;
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t cur_be24(struct cur *c)
{
	if (!cur_need(c, 3))
		return 0;
	const uint8_t *p = c->data + c->off;
	c->off += 3;
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t cur_be32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	const uint8_t *p = c->data + c->off;
	c->off += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t cur_le32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	const uint8_t *p = c->data + c->off;
	c->off += 4;
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline void cur_skip(struct cur *c, size_t n)
{
	if (cur_need(c, n))
		c->off += n;
}

/* Copy n bytes out; on a short cursor, `out` is zeroed and the cursor is bad. */
static inline void cur_copy(struct cur *c, void *out, size_t n)
{
	if (!cur_need(c, n)) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->data + c->off, n);
	c->off += n;
}

/* Take the next n bytes as a cursor of their own (a length-prefixed field, a header). */
static inline struct cur cur_sub(struct cur *c, size_t n)
{
	struct cur s = { c->data + c->off, 0, 0, true };
	if (!cur_need(c, n))
		return s;
	s.len = n;
	s.bad = false;
	c->off += n;
	return s;
}

/* Peek at byte i ahead of the offset without moving; 0 and no effect when out of range. */
static inline uint8_t cur_peek(const struct cur *c, size_t i)
{
	return cur_has(c, i + 1) ? c->data[c->off + i] : 0;
}

#endif
