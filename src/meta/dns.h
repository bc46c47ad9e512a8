/*
 * dns.h — mechanical information of a DNS message: query name, type, response code, and the
 * addresses and names in the answer section. Nothing else (no TXT strings, no additional
 * records) is read into the output.
 */
#ifndef SK_DNS_H
#define SK_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define DNS_NAME_MAX 256      /* presentation form incl. NUL; longer names are rejected */
#define DNS_MAX_ANSWERS 16    /* answers beyond this are counted, not kept */

struct dns_answer {
	uint16_t type;            /* 1 A, 28 AAAA, 5 CNAME, 12 PTR, 2 NS, 15 MX … */
	bool is_addr;             /* addr holds the value (A/AAAA) */
	struct sk_addr addr;
	char name[DNS_NAME_MAX];  /* CNAME/PTR/NS/MX target, else "" */
};

struct dns_msg {
	uint16_t id;
	bool response;
	uint8_t opcode;
	uint8_t rcode;
	char qname[DNS_NAME_MAX]; /* lower-case, no trailing dot; "" for the root */
	uint16_t qtype;
	uint16_t qclass;
	uint16_t nanswers;        /* answers kept in ans[] */
	uint16_t answers_seen;    /* answer records in the message */
	struct dns_answer ans[DNS_MAX_ANSWERS];
};

enum dns_status {
	DNS_OK = 0,
	DNS_ERR_TRUNC,            /* message cut short */
	DNS_ERR_FORMAT,           /* bad header or counts, no question */
	DNS_ERR_NAME,             /* bad label, name too long */
	DNS_ERR_LOOP,             /* compression pointer loop or forward pointer */
};

/* Parse one DNS message (UDP payload, or a TCP message without its 2-byte length).
 * Returns DNS_OK and fills *out (OUT), or the reason it could not. */
enum dns_status dns_parse(const uint8_t *msg, size_t len, struct dns_msg *out);
/* dns_parse for an *out that is all zero apart from what the last parse into it wrote, and
 * was cleared by dns_clear since (a reused scratch message): skips clearing all of it. */
enum dns_status dns_parse_cleared(const uint8_t *msg, size_t len, struct dns_msg *out);
/* Zero what the last dns_parse(_cleared) into m wrote (header, question, answers reached). */
void dns_clear(struct dns_msg *m);
const char *dns_status_name(enum dns_status s);

#endif
