/* test_fault.c - OpenStack fault bodies, and what --debug may show */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "internal.h"

static void test_fault_shapes(void **state)
{
	(void)state;
	static const struct { const char *body, *want; } cases[] = {
		{ "{\"itemNotFound\":{\"code\":404,\"message\":\"Instance x could not be found.\"}}",
		  "Instance x could not be found." },
		{ "{\"badRequest\":{\"code\":400,\"message\":\"Invalid input\"}}", "Invalid input" },
		{ "{\"conflictingRequest\":{\"message\":\"Cannot 'createImage'\"}}", "Cannot 'createImage'" },
		{ "{\"computeFault\":{\"message\":\"boom\"}}", "boom" },
		{ "{\"error\":{\"code\":401,\"title\":\"Unauthorized\",\"message\":\"auth needed\"}}",
		  "auth needed" },
		{ "{\"error\":{\"code\":403,\"title\":\"Forbidden\"}}", "Forbidden" },
		{ "{\"message\":\"glance says no\",\"code\":\"400 Bad Request\"}", "glance says no" },
		{ "{\"title\":\"Not Found\",\"description\":\"No image found\"}", "No image found" },
		{ "<html>\n<head><title>502</title></head>\n 502 Bad Gateway \n</html>", "502 Bad Gateway" },
		{ "plain text fault\r\nsecond line", "plain text fault" },
		{ "{\"unrelated\":[1,2]}", NULL },
		{ "", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = fault_message(cases[i].body, strlen(cases[i].body));
		if (cases[i].want)
			assert_string_equal(got, cases[i].want);
		else
			assert_null(got);
		free(got);
	}
}

static void test_http_error(void **state)
{
	(void)state;
	conoha_error err;
	const char body[] = "{\"itemNotFound\":{\"message\":\"gone\"}}";
	assert_int_equal(set_http_error(&err, 404, body, strlen(body), "req-1", "cannot show"), -1);
	assert_int_equal(err.kind, CONOHA_ERR_NOT_FOUND);
	assert_int_equal(err.http_status, 404);
	assert_string_equal(err.message, "cannot show: HTTP 404: gone");
	assert_string_equal(err.request_id, "req-1");
	set_http_error(&err, 503, NULL, 0, NULL, "cannot list");
	assert_int_equal(err.kind, CONOHA_ERR_HTTP);
	assert_string_equal(err.message, "cannot list: HTTP 503");
	assert_string_equal(err.request_id, "");
}

static void test_redact_headers(void **state)
{
	(void)state;
	static const struct { const char *name; bool secret; } cases[] = {
		{ "X-Auth-Token", true }, { "x-auth-token", true }, { "X-Subject-Token", true },
		{ "Authorization", true }, { "Set-Cookie", true }, { "Content-Type", false },
		{ "X-Auth-Tokens", false }, { "x-openstack-request-id", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(header_is_secret(cases[i].name, strlen(cases[i].name)),
		                 cases[i].secret);
}

static void test_redact_bodies(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } cases[] = {
		{ "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
		  "{\"name\":\"u\",\"password\":\"hunter2\"}}}}}",
		  "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
		  "{\"name\":\"u\",\"password\":\"***\"}}}}}" },
		{ "{\"auth\":{\"passwordCredentials\":{\"username\":\"u\",\"password\":\"p\"},\"tenantId\":\"t\"}}",
		  "{\"auth\":{\"passwordCredentials\":{\"password\":\"***\",\"username\":\"u\"},\"tenantId\":\"t\"}}" },
		{ "{\"application_credential\":{\"id\":\"a\",\"secret\":\"s\"}}",
		  "{\"application_credential\":{\"id\":\"a\",\"secret\":\"***\"}}" },
		{ "{\"identity\":{\"token\":{\"id\":\"tok-1\"}}}",
		  "{\"identity\":{\"token\":{\"id\":\"***\"}}}" },
		{ "{\"access\":{\"token\":{\"id\":\"tok\",\"expires\":\"x\"}}}",
		  "{\"access\":{\"token\":{\"expires\":\"x\",\"id\":\"***\"}}}" },
		{ "[{\"adminPass\":\"x\"},{\"admin_password\":\"y\"}]",
		  "[{\"adminPass\":\"***\"},{\"admin_password\":\"***\"}]" },
		{ "{\"createImage\":{\"name\":\"n\"}}", "{\"createImage\":{\"name\":\"n\"}}" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = redact_json_body(cases[i].in, strlen(cases[i].in));
		assert_string_equal(got, cases[i].want);
		free(got);
	}
	assert_null(redact_json_body("password=x", 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_shapes),
		cmocka_unit_test(test_http_error),
		cmocka_unit_test(test_redact_headers),
		cmocka_unit_test(test_redact_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
