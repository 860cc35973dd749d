/* Where vsw processes keep their sockets, pid and log files unless told otherwise. Apart from
 * daemon.h so that the CLI and the supervisor name it without linking the daemon skeleton (and
 * with it libseccomp, which every process start would then load for nothing). */
#ifndef VSW_RUNDIR_H
#define VSW_RUNDIR_H

#define DAEMON_DEFAULT_RUNDIR "/run/vsw"
/* Socket paths (<rundir>/<name>) must fit in sockaddr_un's 108 bytes. */
#define RUNDIR_MAX 80

#endif
