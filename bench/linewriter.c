/* bench/linewriter.c — the service of bench/errors.sh: writes RATE lines a
 * second to stdout for SECONDS seconds, paced every 10 ms, every 100th line
 * an error (1 %), alternating a one-line ERROR and a four-line Python
 * traceback. Ordinary lines look like an access log (~90 bytes).
 *
 *   linewriter RATE SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const long rate = argc > 1 ? atol(argv[1]) : 50000;
    const double seconds = argc > 2 ? atof(argv[2]) : 60;
    static char buf[1 << 20];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    const double start = now();
    long written = 0;
    for (;;) {
        const double t = now() - start;
        if (t >= seconds)
            break;
        const long due = (long)(t * rate);
        for (; written < due; ++written) {
            if (written % 100 == 99) {
                if ((written / 100) % 2)
                    printf("2026-11-28 12:00:%02ld,%03ld ERROR worker-%ld: payment %ld failed: upstream "
                           "timeout\n",
                           written % 60, written % 1000, written % 8, written);
                else
                    printf(
                        "Traceback (most recent call last):\n  File \"/srv/app/orders.py\", line %ld, in "
                        "handle\n    total = price / qty\nZeroDivisionError: division by zero (order %ld)\n",
                        written % 500, written);
            } else {
                printf(
                    "127.0.0.1 - - [28/Nov/2026:12:00:%02ld +0000] \"GET /api/orders/%ld HTTP/1.1\" 200 %ld "
                    "\"-\" \"bench\"\n",
                    written % 60, written, written % 5000);
            }
        }
        fflush(stdout);
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    fflush(stdout);
    return 0;
}
