/* exit.c - library errors to exit codes, in one place */
#include "exit.h"

int exit_code_for(const conoha_error *err)
{
	switch (err->kind) {
	case CONOHA_OK: return EXIT_OK;
	case CONOHA_ERR_CONFIG: return EXIT_CONFIG;
	case CONOHA_ERR_AUTH: return EXIT_AUTH;
	case CONOHA_ERR_CONNECT: return EXIT_UNREACHABLE;
	case CONOHA_ERR_TLS: return EXIT_TLS;
	case CONOHA_ERR_NOT_FOUND: return EXIT_NOT_FOUND;
	case CONOHA_ERR_AMBIGUOUS: return EXIT_AMBIGUOUS;
	case CONOHA_ERR_HTTP: return EXIT_REFUSED;
	case CONOHA_ERR_PROTOCOL: return EXIT_REFUSED;
	case CONOHA_ERR_TIMEOUT: return EXIT_TIMEOUT;
	case CONOHA_ERR_SYSTEM: return EXIT_LOCAL_IO;
	case CONOHA_ERR_INTERRUPTED: return EXIT_INTERRUPTED;
	case CONOHA_ERR_INTERNAL: return EXIT_FAIL;
	}
	return EXIT_FAIL;
}
