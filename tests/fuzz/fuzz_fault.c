/* fuzz_fault.c - the OpenStack fault message of an error body, in every
 * shape (JSON or plain text), and the error it becomes */
#include <assert.h>
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_cstr(data, size);
	char *msg = fault_message(body, size);
	free(msg);
	conoha_error err;
	conoha_error_clear(&err);
	long status = size ? 400 + data[0] % 200 : 500;
	assert(set_http_error(&err, status, body, size, "req-fuzz", "fuzzing") == -1);
	assert(memchr(err.message, '\0', sizeof(err.message)) != NULL);
	char *red = redact_json_body(body, size);
	free(red);
	free(body);
	return 0;
}
