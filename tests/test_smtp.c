/*
 * test_smtp.c — the SMTP envelope state machine on a real session and on hostile streams.
 *
 * The session was recorded byte for byte on the loopback interface: curl 7.88 as the SMTP
 * client (EHLO, MAIL FROM with SIZE, two RCPT TO, DATA with a MIME message carrying secret
 * strings in the subject, the body and a base64 attachment, ".", QUIT) against a minimal
 * listener that answered like a mail server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pseudo.h"
#include "meta/smtp.h"

/* ---- recorded from the wire ---- */
static const char session[] =
	"EHLO client.example.jp\r\n"
	"MAIL FROM:<taro.yamada@example.jp> SIZE=527\r\n"
	"RCPT TO:<hanako@example.org>\r\n"
	"RCPT TO:<ichiro@example.net>\r\n"
	"DATA\r\n"
	"From: Taro Yamada <taro.yamada@example.jp>\r\n"
	"To: Hanako <hanako@example.org>, Ichiro <ichiro@example.net>\r\n"
	"Subject: TOPSECRET-SUBJECT quarterly figures\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"TOPSECRET-BODY please keep this between us.\r\n"
	"..hidden line that starts with a dot\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: application/octet-stream; name=\"f.txt\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"VE9QU0VDUkVULUFUVEFDSE1FTlQ6IGNvbnRyYWN0IHByaWNlIDEyMzQ1Njc4OSB5ZW4K\r\n"
	"--b1--\r\n"
	".\r\n"
	"QUIT\r\n";

/* strings of the message content, then the envelope's local parts */
static const char *const secrets[] = {
	"TOPSECRET", "quarterly", "VE9QU0VD", "between us", "hidden line", "Yamada", "multipart",
	"taro.yamada", "hanako", "ichiro",
};
#define CONTENT_SECRETS 7

/* ---- helpers ---- */

#define MAX_EVENTS 16

struct events {
	int n;
	struct smtp_cmd cmd[MAX_EVENTS];
};

static struct pseudo key1, key2;

static int setup(void **state)
{
	uint8_t k[PSEUDO_KEYLEN];

	memset(k, 0x33, sizeof(k));
	pseudo_init(&key1, k);
	memset(k, 0x44, sizeof(k));
	pseudo_init(&key2, k);
	return 0;
}

static void collect(void *ctx, const struct smtp_cmd *cmd)
{
	struct events *ev = ctx;

	assert_true(ev->n < MAX_EVENTS);
	ev->cmd[ev->n++] = *cmd;
}

static const char *h(const struct pseudo *key, const char *local)
{
	static char out[4][PSEUDO_HEXLEN + 1];
	static int i;

	i = (i + 1) % 4;
	pseudo_hash(key, local, strlen(local), out[i]);
	return out[i];
}

static const char *addr(const struct pseudo *key, const char *local, const char *domain)
{
	static char out[4][SMTP_VALUE_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(out[i], sizeof(out[i]), "%s@%s", h(key, local), domain);
	return out[i];
}

static void feed_str(struct smtp_state *st, const char *s, struct events *ev)
{
	smtp_feed(st, (const uint8_t *)s, strlen(s), &key1, collect, ev);
}

static void assert_no_secret_of(const void *mem, size_t n, const char *what, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (memmem(mem, n, secrets[i], strlen(secrets[i])) != NULL)
			fail_msg("\"%s\" found in %s", secrets[i], what);
}

static void assert_no_secret(const void *mem, size_t n, const char *what)
{
	assert_no_secret_of(mem, n, what, sizeof(secrets) / sizeof(secrets[0]));
}

static void assert_session_events(const struct events *ev)
{
	assert_int_equal(ev->n, 4);
	assert_int_equal(ev->cmd[0].kind, SMTP_HELO);
	assert_string_equal(ev->cmd[0].value, "client.example.jp");
	assert_int_equal(ev->cmd[1].kind, SMTP_MAIL_FROM);
	assert_string_equal(ev->cmd[1].value, addr(&key1, "taro.yamada", "example.jp"));
	assert_int_equal(ev->cmd[2].kind, SMTP_RCPT_TO);
	assert_string_equal(ev->cmd[2].value, addr(&key1, "hanako", "example.org"));
	assert_int_equal(ev->cmd[3].kind, SMTP_RCPT_TO);
	assert_string_equal(ev->cmd[3].value, addr(&key1, "ichiro", "example.net"));
	assert_no_secret(ev, sizeof(*ev), "the callback values");
}

/* ---- the real session ---- */

static void session_whole(void **state)
{
	struct smtp_state st;
	struct events ev = { 0 };

	smtp_init(&st);
	feed_str(&st, session, &ev);
	assert_session_events(&ev);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.phase, SMTP_PH_COMMANDS);
	assert_int_equal(st.linelen, 0);
	assert_no_secret(&st, sizeof(st), "the state");
}

static void session_byte_by_byte(void **state)
{
	struct smtp_state st;
	struct events ev = { 0 };
	size_t n = strlen(session);

	smtp_init(&st);
	for (size_t i = 0; i < n; i++) {
		smtp_feed(&st, (const uint8_t *)session + i, 1, &key1, collect, &ev);
		/* content never reaches the state, at any moment of the session; a command line
		 * is held only until its line end */
		assert_no_secret_of(&st, sizeof(st), "the state", CONTENT_SECRETS);
		if (session[i] == '\n')
			assert_no_secret(&st, sizeof(st), "the state");
	}
	assert_session_events(&ev);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.phase, SMTP_PH_COMMANDS);
}

static void session_split_in_two_everywhere(void **state)
{
	size_t n = strlen(session);

	for (size_t cut = 0; cut <= n; cut++) {
		struct smtp_state st;
		struct events ev = { 0 };

		smtp_init(&st);
		smtp_feed(&st, (const uint8_t *)session, cut, &key1, collect, &ev);
		smtp_feed(&st, (const uint8_t *)session + cut, n - cut, &key1, collect, &ev);
		assert_session_events(&ev);
		assert_int_equal(st.errors, 0);
		assert_no_secret(&st, sizeof(st), "the state");
	}
}

/* ---- DATA, BDAT, STARTTLS ---- */

static void data_terminators(void **state)
{
	struct smtp_state st;
	struct events ev = { 0 };

	/* an empty message: the DATA line's own CRLF starts the terminator */
	smtp_init(&st);
	feed_str(&st, "DATA\r\n.\r\nMAIL FROM:<a@b.jp>\r\n", &ev);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.cmd[0].kind, SMTP_MAIL_FROM);

	/* bare LF */
	memset(&ev, 0, sizeof(ev));
	smtp_init(&st);
	feed_str(&st, "data\nline\n.\nrcpt to:<c@d.jp>\n", &ev);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.cmd[0].kind, SMTP_RCPT_TO);

	/* a dot-stuffed line, a dot inside a line, and commands inside content are content */
	memset(&ev, 0, sizeof(ev));
	smtp_init(&st);
	feed_str(&st, "DATA\r\n..\r\n.x\r\na.\r\nRCPT TO:<in@content.jp>\r\n\r\n", &ev);
	assert_int_equal(st.phase, SMTP_PH_DATA);
	feed_str(&st, ".\r", &ev);
	assert_int_equal(st.phase, SMTP_PH_DATA);
	feed_str(&st, "\nRCPT TO:<out@x.jp>\r\n", &ev);
	assert_int_equal(st.phase, SMTP_PH_COMMANDS);
	assert_int_equal(ev.n, 1);
	assert_string_equal(ev.cmd[0].value, addr(&key1, "out", "x.jp"));
	/* "DATA" with an argument is not the DATA command */
	memset(&ev, 0, sizeof(ev));
	smtp_init(&st);
	feed_str(&st, "DATAX\r\nDATA now\r\nHELO a\r\n", &ev);
	assert_int_equal(ev.n, 1);
}

static void bdat_chunks(void **state)
{
	struct smtp_state st;
	struct events ev = { 0 };
	const char *chunk = "RCPT TO:<hidden@x.jp>\r\n"; /* 23 bytes of content */

	smtp_init(&st);
	feed_str(&st, "EHLO c.example\r\nMAIL FROM:<a@b.jp>\r\nBDAT 23\r\nRCPT TO:<hid", &ev);
	assert_int_equal(st.phase, SMTP_PH_BDAT);
	feed_str(&st, chunk + 12, &ev);
	assert_int_equal(st.phase, SMTP_PH_COMMANDS);
	feed_str(&st, "BDAT 5 LAST\r\n\r\n.\r\nRCPT TO:<after@x.jp>\r\nBDAT 0 LAST\r\n"
		 "RCPT TO:<z@x.jp>\r\nBDAT\r\nBDAT 99999999999\r\n", &ev);
	assert_int_equal(ev.n, 4);
	assert_string_equal(ev.cmd[2].value, addr(&key1, "after", "x.jp"));
	assert_string_equal(ev.cmd[3].value, addr(&key1, "z", "x.jp"));
	for (int i = 0; i < ev.n; i++)
		assert_null(strstr(ev.cmd[i].value, h(&key1, "hidden")));
	assert_int_equal(st.errors, 2);   /* BDAT without a size, and one past 32 bits */
}

static void starttls_gives_up(void **state)
{
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x05, 'M', 'A', 'I', 'L', '\n' };
	struct smtp_state st;
	struct events ev = { 0 };

	smtp_init(&st);
	feed_str(&st, "EHLO Client.Example.JP\r\nSTARTTLS\r\nMAIL FROM:<x@y.jp>\r\n", &ev);
	smtp_feed(&st, hello, sizeof(hello), &key1, collect, &ev);
	feed_str(&st, "RCPT TO:<x@y.jp>\r\n", &ev);
	assert_int_equal(ev.n, 1);
	assert_string_equal(ev.cmd[0].value, "client.example.jp");
	assert_int_equal(st.phase, SMTP_PH_GAVE_UP);
}

/* ---- lines ---- */

static void overlong_lines(void **state)
{
	struct smtp_state st;
	struct events ev = { 0 };
	char line[1200];

	/* 510 bytes + CRLF = SMTP_LINE_MAX: allowed */
	memset(line, 'a', sizeof(line));
	memcpy(line, "NOOP ", 5);
	memcpy(line + 510, "\r\n", 3);
	smtp_init(&st);
	feed_str(&st, line, &ev);
	assert_int_equal(st.errors, 0);
	/* one byte more: counted and skipped, whole or split across feeds */
	memset(line, 'a', sizeof(line));
	memcpy(line + 511, "\r\n", 3);
	feed_str(&st, line, &ev);
	assert_int_equal(st.errors, 1);
	memset(line, 'a', sizeof(line));
	memcpy(line + 1100, "\r\n", 3);
	smtp_feed(&st, (const uint8_t *)line, 300, &key1, collect, &ev);
	smtp_feed(&st, (const uint8_t *)line + 300, 400, &key1, collect, &ev);
	assert_int_equal(st.errors, 2);
	assert_int_equal(st.phase, SMTP_PH_SKIP_LINE);
	smtp_feed(&st, (const uint8_t *)line + 700, strlen(line + 700), &key1, collect, &ev);
	feed_str(&st, "MAIL FROM:<a@b.jp>\r\n", &ev);
	assert_int_equal(st.errors, 2);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.cmd[0].kind, SMTP_MAIL_FROM);
}

static void partial_lines_wiped(void **state)
{
	struct smtp_state st;
	struct events ev = { 0 };
	const uint8_t zero[sizeof(st)] = { 0 };

	smtp_init(&st);
	feed_str(&st, "AUTH PLAIN AHRhcm8AU0VDUkVUUEFTUw", &ev);   /* "\0taro\0SECRETPASS" */
	assert_non_null(memmem(&st, sizeof(st), "AHRhcm8A", 8));
	feed_str(&st, "==\r\nHELO a\r\n", &ev);
	assert_null(memmem(&st, sizeof(st), "AHRhcm8A", 8));
	assert_int_equal(ev.n, 1);

	feed_str(&st, "MAIL FROM:<secret.person@", &ev);
	smtp_wipe(&st);
	assert_memory_equal(&st, zero, sizeof(st));
}

static void commands_and_values(void **state)
{
	struct smtp_state st;
	struct events ev = { 0 };

	smtp_init(&st);
	feed_str(&st, "helo  MX.Example.JP\x01 extra\n"
		 "mail from: <Sato@Example.JP> BODY=8BITMIME\n"
		 "MAIL FROM:<>\r\n"
		 "RCPT TO:<postmaster>\r\n"
		 "RCPT TO:<@relay1.example,@relay2.example:user@Dest.example>\r\n"
		 "MAIL <nofrom@x.jp>\r\n"
		 "EHLO\r\n"
		 "QUIT\r\n", &ev);
	assert_int_equal(ev.n, 5);
	assert_string_equal(ev.cmd[0].value, "mx.example.jp?");
	assert_string_equal(ev.cmd[1].value, addr(&key1, "Sato", "example.jp"));
	assert_int_equal(ev.cmd[2].kind, SMTP_MAIL_FROM);
	assert_string_equal(ev.cmd[2].value, "");
	assert_string_equal(ev.cmd[3].value, h(&key1, "postmaster"));
	assert_string_equal(ev.cmd[4].value, addr(&key1, "user", "dest.example"));
	assert_int_equal(st.errors, 2);   /* MAIL without FROM:, EHLO without a name */
}

static void pseudonymize_addr(void **state)
{
	char a[SMTP_VALUE_MAX], b[SMTP_VALUE_MAX], small[40];

	smtp_pseudonymize_addr("<user@Example.JP>", 17, &key1, a, sizeof(a));
	assert_string_equal(a, addr(&key1, "user", "example.jp"));
	smtp_pseudonymize_addr("user@example.jp SIZE=10", 23, &key1, b, sizeof(b));
	assert_string_equal(a, b);                               /* stable under one key */
	smtp_pseudonymize_addr("<user@example.jp>", 17, &key2, b, sizeof(b));
	assert_string_not_equal(a, b);                           /* different across keys */
	assert_string_equal(b, addr(&key2, "user", "example.jp"));
	assert_null(strstr(a, "user"));

	smtp_pseudonymize_addr("<\"john@doe\"@example.jp>", 23, &key1, a, sizeof(a));
	assert_string_equal(a, addr(&key1, "\"john@doe\"", "example.jp"));
	smtp_pseudonymize_addr("<>", 2, &key1, a, sizeof(a));
	assert_string_equal(a, "");
	smtp_pseudonymize_addr("", 0, &key1, a, sizeof(a));
	assert_string_equal(a, "");
	/* only n bytes are read; the output is cut to outlen */
	smtp_pseudonymize_addr("<user@example.jpXXXX", 16, &key1, a, sizeof(a));
	assert_string_equal(a, addr(&key1, "user", "example.jp"));
	smtp_pseudonymize_addr("<user@a-rather-long-domain.example.jp>", 38, &key1, small,
			       sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, h(&key1, "user"), PSEUDO_HEXLEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(session_whole),
		cmocka_unit_test(session_byte_by_byte),
		cmocka_unit_test(session_split_in_two_everywhere),
		cmocka_unit_test(data_terminators),
		cmocka_unit_test(bdat_chunks),
		cmocka_unit_test(starttls_gives_up),
		cmocka_unit_test(overlong_lines),
		cmocka_unit_test(partial_lines_wiped),
		cmocka_unit_test(commands_and_values),
		cmocka_unit_test(pseudonymize_addr),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
