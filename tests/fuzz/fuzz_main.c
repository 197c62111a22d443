/*
 * fuzz_main.c - replay fuzz inputs through a harness without libFuzzer (gcc builds).
 *
 * With no arguments it replays every regular file of CORPUS_DIR (a string macro set
 * by Makefile.am per harness) through LLVMFuzzerTestOneInput() and prints
 * "replayed N inputs". A missing or empty corpus directory is a failure (exit 1):
 * a replay of nothing must not pass silently. With arguments it replays those files.
 * A crash is reported by the process dying (and by the sanitizers when enabled).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef CORPUS_DIR
#error "CORPUS_DIR must name the harness's seed corpus directory"
#endif

#define FUZZ_MAX_INPUT (1024 * 1024)	/* larger files are not fuzz inputs */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read one file and hand it to the harness; 0, or -1 when it cannot be read. */
static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(FUZZ_MAX_INPUT);
	if (buf == NULL) {
		fclose(f);
		fprintf(stderr, "out of memory reading %s\n", path);
		return -1;
	}
	n = fread(buf, 1, FUZZ_MAX_INPUT, f);
	if (ferror(f)) {
		fprintf(stderr, "cannot read %s\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

/* Replay every regular file of dir; the count, or -1 when dir cannot be read. */
static long
replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	char path[4096];
	long count = 0;

	if (d == NULL) {
		fprintf(stderr, "cannot open corpus directory %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(path) < 0) {
			closedir(d);
			return -1;
		}
		count++;
	}
	closedir(d);
	return count;
}

int
main(int argc, char **argv)
{
	long count = 0;
	int i;

	if (argc > 1) {
		for (i = 1; i < argc; i++) {
			if (replay_file(argv[i]) < 0)
				return 1;
			count++;
		}
	} else {
		count = replay_dir(CORPUS_DIR);
		if (count < 0)
			return 1;
		if (count == 0) {
			fprintf(stderr, "no inputs in %s: nothing was replayed\n", CORPUS_DIR);
			return 1;
		}
	}
	printf("replayed %ld inputs\n", count);
	return 0;
}
