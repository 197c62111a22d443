/*
 * tmpdir.h - a fresh temporary directory per unit test, removed with its files
 * (the LMDB environments of test_store and test_store_lmdb).
 *
 *   tmpdir_make()    mkdtemp() under /tmp, named after the test
 *   tmpdir_remove()  unlink the files in it (one level: LMDB makes no subdirectories),
 *                    then the directory
 *
 * What can go wrong: mkdtemp() failing (tmpdir_make returns -1 and the cmocka setup
 * fails); a file that cannot be removed stays behind (nothing is asserted on cleanup).
 */
#ifndef TEST_TMPDIR_H
#define TEST_TMPDIR_H

#include <stddef.h>

/* Make /tmp/NAME.XXXXXX into dir (size len, at least 64). 0, or -1. */
int tmpdir_make(char *dir, size_t len, const char *name);
/* Remove dir's files and dir itself. */
void tmpdir_remove(const char *dir);

#endif
