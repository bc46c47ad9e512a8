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
	{ "sensor", "sakimori sensor -r FILE|-i IFACE [-s SELECTORS -o RECORDS.jsonl|- [--stats FILE]]\n"
		    "                [--db FILE] [--domestic FILE] [--pseudonym-key FILE] [-q]\n"
		    "  Reads a pcap/pcapng capture (-r) or a live interface (-i, AF_PACKET TPACKET_V3;\n"
		    "  one worker for now), decodes every packet (malformed ones are counted by reason),\n"
		    "  classifies its direction (外外/外内/内外/内内) and extracts mechanical information.\n"
		    "  With -s it keeps only flows that match a selector approved for their channel and\n"
		    "  writes one JSON line per flow; everything else is discarded at once. Without -s\n"
		    "  it only counts. SIGHUP reloads the selector file (a bad file keeps the old set);\n"
		    "  SIGTERM/SIGINT flush open flows and statistics, then exit.\n" },
	{ "geo", "sakimori geo [--db FILE] [--domestic FILE] ADDR...\n"
		 "  Prints each address's country, ASN and whether it is domestic.\n" },
	{ "demo", "sakimori demo [--dir DIR]\n"
		  "  Generates a capture, runs the sensor on it and prints what it found.\n" },
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
