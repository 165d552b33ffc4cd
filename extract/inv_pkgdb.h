/* inv_pkgdb.h - the package databases of an image, read as untrusted
 * text: dpkg's status, *.list, *.md5sums, diversions and alternatives,
 * pacman's local files and desc. Pure functions of a buffer; no length or
 * count from the image is trusted, a line that does not parse is skipped. */
#ifndef EXTRACT_INV_PKGDB_H
#define EXTRACT_INV_PKGDB_H

#include <stdbool.h>
#include <stddef.h>

/* Longest path a database line may name; longer lines are skipped. */
#define INV_PATH_MAX 4096

/* A path a package owns, absolute and NUL-terminated, without a
 * trailing slash. 0 to go on, -1 to stop. */
typedef int (*inv_path_fn)(void *ud, const char *path);
/* A configuration file of PACKAGE and the md5 (32 lower-case hex digits)
 * it was installed with; INSTALLED is false for a removed package whose
 * configuration stayed. 0 to go on, -1 to stop. */
typedef int (*inv_conffile_fn)(void *ud, const char *package, const char *path,
                               const char *md5, bool installed);

/* /var/lib/dpkg/status: calls CONF for every live conffile (obsolete and
 * newconffile ones left out). Returns how many packages are installed,
 * or -1 when a callback stopped. */
long inv_dpkg_status(const char *buf, size_t len, inv_conffile_fn conf, void *ud);
/* info/PKG.list: one absolute path a line. 0, or -1 when FN stopped. */
int inv_dpkg_list(const char *buf, size_t len, inv_path_fn fn, void *ud);
/* info/PKG.md5sums: "md5  relative/path" lines. */
int inv_dpkg_md5sums(const char *buf, size_t len, inv_path_fn fn, void *ud);
/* diversions: triples of lines (from, to, package); both paths owned. */
int inv_dpkg_diversions(const char *buf, size_t len, inv_path_fn fn, void *ud);
/* alternatives/NAME: the master link and every slave link. */
int inv_dpkg_alternative(const char *buf, size_t len, inv_path_fn fn, void *ud);

/* ucf's hashfile ("md5  /etc/path"): files a package's scripts installed
 * with ucf, and the md5 they had; CONF gets PACKAGE "" (see the registry). */
int inv_ucf_hashfile(const char *buf, size_t len, inv_conffile_fn conf, void *ud);
/* ucf's registry ("package <blanks> /etc/path"): FN(ud, path, package). */
int inv_ucf_registry(const char *buf, size_t len,
                     int (*fn)(void *ud, const char *path, const char *package), void *ud);

/* local/PKG-VER/files: %FILES% (paths relative to /, directories with a
 * trailing slash) and %BACKUP% ("path\tmd5"); PACKAGE names the package
 * for CONF. */
int inv_pacman_files(const char *buf, size_t len, const char *package, inv_path_fn fn,
                     inv_conffile_fn conf, void *ud);
/* local/PKG-VER/desc: the %NAME% into OUT. 0, or -1 when there is none
 * or it does not fit. */
int inv_pacman_name(const char *buf, size_t len, char *out, size_t size);

#endif
