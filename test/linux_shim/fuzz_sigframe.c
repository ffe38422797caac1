/* fuzz_sigframe: libFuzzer harness of the Linux shim's signal frame decoder
 * (components/services/linux/sigframe.c), which rt_sigreturn runs on bytes a program may
 * have changed. Any input (made SIGFRAME_SIZE bytes long) must be refused with a reason or
 * decoded; what is decoded, encoded again and decoded, must come back the same. */
#include <stdlib.h>
#include <string.h>

#include "sigframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[SIGFRAME_SIZE], again[SIGFRAME_SIZE];
	memset(frame, 0, sizeof(frame));
	memcpy(frame, data, size < sizeof(frame) ? size : sizeof(frame));
	struct sigframe_content c, d;
	const char *why = NULL;
	bool ok = sigframe_decode(frame, &c, &why);
	if (!why)
		abort();
	if (!ok)
		return 0;
	sigframe_encode(again, frame, &c);
	if (!sigframe_decode(again, &d, &why) || memcmp(&c, &d, sizeof(c)) != 0)
		abort();
	return 0;
}
