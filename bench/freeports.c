/* freeports N: prints N distinct TCP ports on 127.0.0.1 that were free a
 * moment ago. All N sockets are bound to port 0 at once (so the kernel hands
 * out N different ports) and closed just before exiting. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc == 2 ? atoi(argv[1]) : 0;
    if (n <= 0 || n > 1000) {
        fputs("usage: freeports N (1..1000)\n", stderr);
        return 2;
    }
    int *fds = calloc((size_t)n, sizeof *fds);
    if (!fds)
        return 1;
    for (int i = 0; i < n; ++i) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        socklen_t len = sizeof a;
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &len) != 0) {
            perror("freeports");
            return 1;
        }
        printf("%u\n", (unsigned)ntohs(a.sin_port));
    }
    for (int i = 0; i < n; ++i)
        close(fds[i]);
    return 0;
}
