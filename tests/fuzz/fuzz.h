/* The libFuzzer entry point every harness here defines; replay.c calls it for each file it is given. */
#pragma once
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
