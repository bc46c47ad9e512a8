/*
 * harden.h — process settings that keep packet bytes out of places the law forbids.
 *
 * DESIGN.md rule 1: traffic that is not selected is never written to disk, a log, a queue
 * or a core file. A crash of a process holding packet buffers would dump them; so every
 * process that reads traffic first disables core dumps (RLIMIT_CORE 0) and marks itself
 * non-dumpable (prctl PR_SET_DUMPABLE 0, which also keeps other users from reading its
 * memory through /proc or ptrace).
 */
#ifndef SK_HARDEN_H
#define SK_HARDEN_H

/* Returns 0, or -1 if either setting could not be made (errno set). */
int harden_no_core_dumps(void);

#endif
