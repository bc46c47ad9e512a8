/*
 * cmd.h — the subcommands of the `sakimori` executable, one file each (cmd_<name>.c).
 * Each takes argc/argv starting at its own name and returns the process exit status.
 */
#ifndef SK_CMD_H
#define SK_CMD_H

#define SAKIMORI_VERSION "0.1.0"

int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_sensor(int argc, char **argv);
int cmd_geo(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_hub(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_audit(int argc, char **argv);

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* The table main() dispatches on, in help order; ends with a NULL name. */
extern const struct command commands[];

#endif
