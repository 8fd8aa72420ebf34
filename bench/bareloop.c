/* bareloop: the floor for restart latency in restart_latency.sh.
 *
 *   bareloop N PROGRAM ARGS...
 *
 * Runs PROGRAM N times, one after another, with nothing between one exit and
 * the next start but waitpid(2), fork(2) and execv(2): what any supervisor
 * must do at the least. Measured with the same crasher stamps as the
 * supervisors, so "supervisor minus bareloop" is what supervising adds. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: bareloop N PROGRAM [ARGS...]\n", stderr);
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    for (long i = 0; i < n; ++i) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            execv(argv[2], argv + 2);
            _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0) {
        }
    }
    return 0;
}
