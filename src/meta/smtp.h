/*
 * smtp.h — mechanical information of an SMTP session: the client's envelope commands.
 *
 * The client stream is fed in pieces as it arrives. Complete command lines are parsed for
 * EHLO/HELO (name), MAIL FROM and RCPT TO (address with the local part replaced by its keyed
 * hash, domain kept). After DATA (and BDAT) the stream is message content: it is skipped,
 * byte by byte, until the terminating "<CRLF>.<CRLF>", and never stored — the state keeps
 * only the last few bytes needed to recognise the terminator across segment boundaries.
 */
#ifndef SK_SMTP_H
#define SK_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/pseudo.h"

#define SMTP_LINE_MAX 512        /* RFC 5321 4.5.3.1.4: command line incl. CRLF */
#define SMTP_VALUE_MAX 320

enum smtp_kind { SMTP_HELO = 1, SMTP_MAIL_FROM, SMTP_RCPT_TO };

/* struct smtp_state.phase */
enum smtp_phase {
	SMTP_PH_COMMANDS = 0,        /* reading command lines */
	SMTP_PH_DATA,                /* skipping DATA content up to CRLF.CRLF */
	SMTP_PH_BDAT,                /* skipping bdat_left bytes of a BDAT chunk */
	SMTP_PH_GAVE_UP,             /* after STARTTLS: the rest is encrypted, ignored */
	SMTP_PH_SKIP_LINE,           /* skipping the rest of an overlong command line */
};

struct smtp_cmd {
	enum smtp_kind kind;
	char value[SMTP_VALUE_MAX]; /* HELO name, or "<hash>@domain" ("" for the null path <>) */
};

struct smtp_state {
	uint8_t phase;               /* commands, data, bdat, or gave up */
	uint32_t bdat_left;          /* bytes of a BDAT chunk still to skip */
	uint8_t tail[5];             /* last bytes of DATA content, to find CRLF.CRLF */
	uint16_t linelen;
	uint8_t line[SMTP_LINE_MAX]; /* partial command line; wiped when a line is done */
	uint32_t errors;             /* overlong or malformed lines */
};

typedef void (*smtp_cb)(void *ctx, const struct smtp_cmd *cmd);

void smtp_init(struct smtp_state *st);
/* Feed client-to-server bytes; calls cb for each EHLO/HELO/MAIL/RCPT found. */
void smtp_feed(struct smtp_state *st, const uint8_t *data, size_t len, const struct pseudo *key,
	       smtp_cb cb, void *ctx);
/* Clear the state (secure wipe of any partial line). */
void smtp_wipe(struct smtp_state *st);
/* Replace the local part of an address ("user@example.jp" or "<user@example.jp>" with
 * optional ESMTP parameters stripped) by its keyed hash: out = "<hex>@example.jp". */
void smtp_pseudonymize_addr(const char *addr, size_t n, const struct pseudo *key, char *out,
			    size_t outlen);

#endif
