/*
 * The real kernel's anonymous minor-fault rate on this machine: touch each
 * page of a fresh anonymous mapping once, and report faults per second.
 * Built and run by bench/vm.bench.ts when a C compiler is present.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
	long pages = argc > 1 ? atol(argv[1]) : 65536;
	long page = sysconf(_SC_PAGESIZE);
	int rounds = 5;
	double best = 0;
	for (int r = 0; r < rounds; r++) {
		char *p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) { perror("mmap"); return 1; }
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < pages; i++) p[i * page] = 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		double secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		double rate = pages / secs;
		if (rate > best) best = rate;
		munmap(p, pages * page);
	}
	printf("%.0f\n", best);
	return 0;
}
