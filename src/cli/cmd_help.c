/* cmd_help.c — `sakimori help [COMMAND]`. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"

static const char *const details[][2] = {
	{ "gen", "sakimori gen --seed N --packets N -o FILE.pcap [--truth FILE.json] [--db FILE]\n"
		 "  Writes a deterministic capture with traffic in all four directions (real prefixes\n"
		 "  from the location database), DNS, TLS, HTTP, SMTP, fragments, scans, beacons and\n"
		 "  noise; --truth lists what was planted, including the secrets that must never\n"
		 "  appear in any output of the sensor.\n" },
	{ "sensor", "sakimori sensor -r FILE|-i IFACE [-w N] [-s SELECTORS -o RECORDS.jsonl|- [--stats FILE]]\n"
		    "                [--db FILE] [--domestic FILE] [--pseudonym-key FILE] [-q]\n"
		    "  Reads a pcap/pcapng capture (-r) or a live interface (-i, AF_PACKET TPACKET_V3)\n"
		    "  with N worker pipelines (-w; live: one ring each in a PACKET_FANOUT group; file:\n"
		    "  each flow goes to one worker by its endpoints), decodes every packet (malformed\n"
		    "  ones are counted by reason), classifies its direction (外外/外内/内外/内内) and\n"
		    "  extracts mechanical information.\n"
		    "  With -s it keeps only flows that match a selector approved for their channel and\n"
		    "  writes one JSON line per flow; everything else is discarded at once. Without -s\n"
		    "  it only counts. SIGHUP reloads the selector file (a bad file keeps the old set);\n"
		    "  SIGTERM/SIGINT flush open flows and statistics, then exit.\n" },
	{ "geo", "sakimori geo [--db FILE] [--domestic FILE] ADDR...\n"
		 "  Prints each address's country, ASN and whether it is domestic.\n" },
	{ "hub", "sakimori hub [--dir DIR] [--listen HOST:PORT] [--retention D] [--prompt-deadline D]\n"
		 "             [--written-deadline D] [--sweep D] [--threads N]\n"
		 "  Serves the JSON API under /api/v1 (default 127.0.0.1:8080, data in ./hub-data):\n"
		 "  asset notifications (Art. 4), incident reports with deadlines and corrective\n"
		 "  orders (Art. 5), selected records from sensors with retention, and the audit log\n"
		 "  (RFC 6962 Merkle tree, Ed25519-signed tree heads, proofs). Bearer tokens; one\n"
		 "  default-deny table of which role may call which route (docs/hub.md).\n"
		 "  Durations: 90s 15m 24h 30d 2y.\n" },
	{ "admin", "sakimori admin token create --role R [--org ORG] [--sector S[,S...]] [--label L] [--dir DIR]\n"
		   "       sakimori admin token list [--dir DIR]\n"
		   "       sakimori admin org add ID --sector S --name NAME [--dir DIR]\n"
		   "  Creates organisations and bearer tokens in the hub's store; a token is printed\n"
		   "  once and only its hash is kept. Every change is in the audit log.\n"
		   "  roles: cabinet ministry operator sensor commission coordinator vendor council public\n" },
	{ "audit", "sakimori audit verify (--db DIR|FILE | --log EXPORT.json) --key PUBKEY [--sth SAVED.json]\n"
		   "       sakimori audit sth --db DIR|FILE [--key PUBKEY]\n"
		   "  Checks the hub's audit log offline: every leaf hash, every signed tree head and\n"
		   "  its root, and a tree head saved earlier; names the first entry that does not\n"
		   "  verify. `sakimori audit help` says more.\n" },
	{ "demo", "sakimori demo [--dir DIR] [--packets N] [--no-hub]\n"
		  "  Generates a capture, runs the sensor on it and prints what it found; then starts\n"
		  "  the hub on loopback, sends it the records, files a sample asset notification and\n"
		  "  incident report, verifies the audit log and prints where to look.\n" },
	{ "version", "sakimori version\n" },
	{ "help", "sakimori help [COMMAND]\n" },
};

int cmd_help(int argc, char **argv)
{
	if (argc >= 2) {
		for (size_t i = 0; i < sizeof(details) / sizeof(details[0]); i++)
			if (strcmp(details[i][0], argv[1]) == 0) {
				fputs(details[i][1], stdout);
				return 0;
			}
		fprintf(stderr, "sakimori: no help for '%s'\n", argv[1]);
		return 2;
	}
	printf("sakimori %s — automatic selection of communications information under Japan's\n"
	       "Active Cyber Defense law (サイバー対処能力強化法)\n\n"
	       "usage: sakimori <command> [options]\n\n", SAKIMORI_VERSION);
	for (const struct command *c = commands; c->name; c++)
		printf("  %-9s %s\n", c->name, c->summary);
	printf("\n'sakimori help COMMAND' explains one command.\n");
	return 0;
}
