/* crasher: the one program all three supervisors restart in restart_latency.sh.
 *
 *   crasher FILE
 *
 * Appends "S <ns>" (CLOCK_REALTIME nanoseconds) to FILE as soon as it starts,
 * sleeps 100 ms, appends "E <ns>" and exits with status 1. Each line is one
 * write(2) on an O_APPEND descriptor, so lines never interleave. Latency i of
 * a supervisor is then S(i+1) - E(i): from the crasher's last instruction to
 * the first instruction of the next instance (fork + exec + whatever the
 * supervisor does in between). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void stamp(int fd, char tag)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char line[64];
    int n = snprintf(line, sizeof line, "%c %lld\n", tag, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    if (n > 0 && write(fd, line, (size_t)n) != n)
        _exit(2);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: crasher FILE\n", stderr);
        return 2;
    }
    int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return 2;
    stamp(fd, 'S');
    struct timespec nap = {0, 100 * 1000 * 1000};
    while (nanosleep(&nap, &nap) != 0) {
    }
    stamp(fd, 'E');
    return 1;
}
