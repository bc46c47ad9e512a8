/* cmd_version.c — `sakimori version`: the version and the libraries it was built with. */
#include <hs/hs.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <sodium.h>
#include <stdio.h>

#include "cli/cmd.h"

int cmd_version(int argc, char **argv)
{
	printf("sakimori %s\n", SAKIMORI_VERSION);
	printf("  %s\n", pcap_lib_version());
	printf("  hyperscan %s\n", hs_version());
	printf("  jansson %s\n", JANSSON_VERSION);
	printf("  libsodium %s\n", sodium_version_string());
	return 0;
}
