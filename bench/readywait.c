/* readywait: the end of a start-all or a stop-all, seen from outside, for
 * bench/startstop.sh's peers (PM2, supervisord).
 *
 *   readywait http PORT...   until GET /health answers 200 on every port
 *   readywait gone PID...    until none of the PIDs exists any more
 *   readywait rss PID BYTES  VmRSS read every 1 ms: prints the ms from the
 *                            first read above BYTES to the PID gone
 *
 * Polls every 2 ms (each pending port or pid once per round) and prints the
 * CLOCK_REALTIME nanoseconds at which the last one got there; exit 1 after
 * 120 s. Launched before the start or stop request, so the script's own
 * stamp, taken just before the request, is the start of the interval. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int http_ok(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        static const char req[] = "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        char buf[64];
        if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
            ssize_t n = read(fd, buf, sizeof buf - 1);
            if (n >= 12) {
                buf[n] = '\0';
                ok = strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 9, "200", 3) == 0;
            }
        }
    }
    close(fd);
    return ok;
}

static int gone(int pid)
{
    return kill(pid, 0) < 0 && errno == ESRCH;
}

/* VmRSS of pid in bytes; -1 once it has gone (or is a zombie: no VmRSS). */
static long long rss_bytes(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = atoll(line + 6);
            break;
        }
    fclose(f);
    return kib < 0 ? -1 : kib * 1024;
}

static int rss_mode(int pid, long long limit)
{
    long long deadline = now_ns(CLOCK_MONOTONIC) + 120LL * 1000000000LL;
    long long crossed = -1;
    struct timespec pause = {0, 1000000};
    for (;;) {
        long long t = now_ns(CLOCK_MONOTONIC);
        if (t > deadline) {
            fputs("readywait: no crossing and exit within 120 s\n", stderr);
            return 1;
        }
        long long rss = rss_bytes(pid);
        if (rss < 0 || gone(pid)) {
            if (crossed < 0) {
                fputs("readywait: the process went before crossing the limit\n", stderr);
                return 1;
            }
            printf("%.3f\n", (double)(t - crossed) / 1e6);
            return 0;
        }
        if (crossed < 0 && rss > limit)
            crossed = t;
        nanosleep(&pause, NULL);
    }
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "rss") == 0)
        return rss_mode(atoi(argv[2]), atoll(argv[3]));
    if (argc < 3 || (strcmp(argv[1], "http") != 0 && strcmp(argv[1], "gone") != 0)) {
        fputs("usage: readywait http PORT... | readywait gone PID... | readywait rss PID BYTES\n", stderr);
        return 2;
    }
    int http = strcmp(argv[1], "http") == 0;
    int n = argc - 2;
    int *val = calloc((size_t)n, sizeof *val);
    int *done = calloc((size_t)n, sizeof *done);
    if (!val || !done)
        return 1;
    for (int i = 0; i < n; ++i)
        val[i] = atoi(argv[i + 2]);
    long long deadline = now_ns(CLOCK_MONOTONIC) + 120LL * 1000000000LL;
    int left = n;
    while (left > 0) {
        for (int i = 0; i < n; ++i) {
            if (!done[i] && (http ? http_ok(val[i]) : gone(val[i]))) {
                done[i] = 1;
                --left;
            }
        }
        if (left == 0)
            break;
        if (now_ns(CLOCK_MONOTONIC) > deadline) {
            fprintf(stderr, "readywait: %d of %d not there after 120 s\n", left, n);
            return 1;
        }
        struct timespec pause = {0, 2000000};
        nanosleep(&pause, NULL);
    }
    printf("%lld\n", now_ns(CLOCK_REALTIME));
    return 0;
}
