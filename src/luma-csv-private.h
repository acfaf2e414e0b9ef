/* luma-csv-private.h: test hooks of the CSV report
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "luma-csv.h"

G_BEGIN_DECLS

/* Replaces fsync() for the report file and its folder (NULL restores it), so
 * a test can see what is synced, in which order, and make it fail. Not
 * thread-safe: set it before an export starts. */
typedef int (*LumaCsvFsyncFunc) (int fd);

void _luma_csv_set_fsync_func (LumaCsvFsyncFunc func);

G_END_DECLS
