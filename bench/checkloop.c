/* bench/checkloop.c — the floor for "keep N HTTP backends and check each
 * one's /health every interval": the least a supervisor doing that work can
 * spend. It starts the backends (fork, execv; output to /dev/null), keeps one
 * keep-alive connection to each, sends one GET per interval on all of them at
 * the same moment, reads each answer (status line, Content-Length body) with
 * poll(2), and reaps what exits. No logs, no metrics, no state: what is left
 * is the kernel's part of a loopback HTTP round trip, per check.
 *
 *   checkloop INTERVAL_MS BACKEND PORT...
 *   runs BACKEND --port PORT --name cI for each PORT; SIGTERM ends it and them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXN 256

struct conn {
    int port;
    pid_t pid;
    int fd;            /* -1: not connected */
    char buf[4096];
    size_t have;
    int waiting;       /* a request was sent, its answer not yet read whole */
};

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* 1 when buf holds a whole answer (headers and Content-Length bytes). */
static int answer_complete(const char *buf, size_t have)
{
    const char *end = memmem(buf, have, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t)(end - buf) + 4;
    const char *cl = memmem(buf, head, "Content-Length:", 15);
    size_t len = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
    return have >= head + len;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: checkloop INTERVAL_MS BACKEND PORT...\n");
        return 2;
    }
    const long interval = atol(argv[1]);
    const char *backend = argv[2];
    int n = argc - 3;
    if (n > MAXN)
        n = MAXN;
    static struct conn c[MAXN];
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < n; i++) {
        c[i].port = atoi(argv[3 + i]);
        c[i].fd = -1;
        pid_t pid = fork();
        if (pid == 0) {
            char name[32];
            snprintf(name, sizeof name, "c%d", i);
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) {
                dup2(null, 1);
                dup2(null, 2);
            }
            execl(backend, backend, "--port", argv[3 + i], "--name", name, (char *)NULL);
            _exit(127);
        }
        c[i].pid = pid;
    }
    const char *fmt = "GET /health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: keep-alive\r\n\r\n";
    long long next = now_ms();
    long long ok = 0, failed = 0;
    while (!stop) {
        if (now_ms() >= next) {
            next += interval;
            for (int i = 0; i < n; i++) {
                if (c[i].waiting) {
                    failed++; /* no answer within an interval: a fresh connection */
                    close(c[i].fd);
                    c[i].fd = -1;
                    c[i].waiting = 0;
                }
                if (c[i].fd < 0 && (c[i].fd = connect_to(c[i].port)) < 0)
                    continue; /* not up yet */
                char req[160];
                int len = snprintf(req, sizeof req, fmt, c[i].port);
                if (write(c[i].fd, req, (size_t)len) != len) {
                    close(c[i].fd);
                    c[i].fd = -1;
                    continue;
                }
                c[i].have = 0;
                c[i].waiting = 1;
            }
        }
        struct pollfd p[MAXN];
        int idx[MAXN], m = 0;
        for (int i = 0; i < n; i++) {
            if (c[i].waiting) {
                p[m].fd = c[i].fd;
                p[m].events = POLLIN;
                idx[m++] = i;
            }
        }
        long long wait = next - now_ms();
        if (poll(p, (nfds_t)m, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
            break;
        for (int k = 0; k < m; k++) {
            if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            struct conn *x = &c[idx[k]];
            ssize_t r = read(x->fd, x->buf + x->have, sizeof x->buf - x->have);
            if (r <= 0) {
                failed++;
                close(x->fd);
                x->fd = -1;
                x->waiting = 0;
                continue;
            }
            x->have += (size_t)r;
            if (answer_complete(x->buf, x->have)) {
                if (strncmp(x->buf, "HTTP/1.1 200", 12) == 0)
                    ok++;
                else
                    failed++;
                x->waiting = 0;
            } else if (x->have == sizeof x->buf) {
                failed++;
                close(x->fd);
                x->fd = -1;
                x->waiting = 0;
            }
        }
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
    }
    for (int i = 0; i < n; i++)
        kill(c[i].pid, SIGTERM);
    while (wait(NULL) > 0) {
    }
    fprintf(stderr, "checkloop: %lld answers 200, %lld failed\n", ok, failed);
    return 0;
}
