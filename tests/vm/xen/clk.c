/* clk: clocks for the emulated Xen hosts' migration figures.
 *
 *   clk              CLOCK_BOOTTIME - CLOCK_MONOTONIC in seconds: the time
 *                    this guest has spent suspended.  A Xen guest counts a
 *                    migration's pause as suspend time, read from the two
 *                    hosts' wall clocks (source at suspend, target at resume),
 *                    so the difference across `xl migrate` is the guest's own
 *                    pause plus the target's clock minus the source's.
 *   clk serve PORT   answer each UDP datagram with our CLOCK_REALTIME
 *   clk skew IP PORT the peer's CLOCK_REALTIME minus ours, from the exchange
 *                    with the shortest round trip of 20 (printed with it)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in from;
	socklen_t fl;
	char buf[64];
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("clk serve");
		return 1;
	}
	for (;;) {
		fl = sizeof(from);
		if (recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) < 0)
			continue;
		snprintf(buf, sizeof(buf), "%.6f", now(CLOCK_REALTIME));
		sendto(s, buf, strlen(buf), 0, (struct sockaddr *)&from, fl);
	}
}

static int skew(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 1 };
	double best_rtt = 1e9, best_off = 0, t0, t1;
	char buf[64];
	int s = socket(AF_INET, SOCK_DGRAM, 0), i;
	ssize_t n;

	if (s < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return 1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < 20; i++) {
		t0 = now(CLOCK_REALTIME);
		if (sendto(s, "t", 1, 0, (struct sockaddr *)&a, sizeof(a)) < 0)
			continue;
		n = recv(s, buf, sizeof(buf) - 1, 0);
		t1 = now(CLOCK_REALTIME);
		if (n <= 0)
			continue;
		buf[n] = 0;
		if (t1 - t0 < best_rtt) {
			best_rtt = t1 - t0;
			best_off = atof(buf) - (t0 + t1) / 2;
		}
	}
	if (best_rtt > 1e8) {
		fprintf(stderr, "clk skew: no answer from %s\n", ip);
		return 1;
	}
	printf("%.6f %.6f\n", best_off, best_rtt);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "skew"))
		return skew(argv[2], atoi(argv[3]));
	printf("%.6f\n", now(CLOCK_BOOTTIME) - now(CLOCK_MONOTONIC));
	return 0;
}
