/* A fixed test PKI for the CA's tests and its fuzzer: a CA (P-256, "/CN=Thử nghiệm CA/O=simpki test", made by
 * 'simpki-ca init', its key here unencrypted) and the RA it issued (id-kp-cmcRA). TEST KEYS, PUBLIC: never trust
 * them anywhere. The seeds of tests/fuzz/corpus/cmp-server/ are openssl cmp requests signed by this RA. */
#pragma once

static const char ca_fixture_ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
					"MIIBxTCCAWugAwIBAgIQfP/ytdOZGRgQz0oSR50mazAKBggqhkjOPQQDAjAyMRow\n"
					"GAYDVQQDDBFUaOG7rSBuZ2hp4buHbSBDQTEUMBIGA1UECgwLc2ltcGtpIHRlc3Qw\n"
					"HhcNMjYxMjA2MTMzMDA2WhcNMzYxMjAzMTMzMTA2WjAyMRowGAYDVQQDDBFUaOG7\n"
					"rSBuZ2hp4buHbSBDQTEUMBIGA1UECgwLc2ltcGtpIHRlc3QwWTATBgcqhkjOPQIB\n"
					"BggqhkjOPQMBBwNCAASaw4tJhwRu2FPIlGsBMy1kIqp6SYqWxKshaodhghSWOT+q\n"
					"twBYnO647QXXe9y3g4B38LMBLLiS0fag4NlhWM94o2MwYTAPBgNVHRMBAf8EBTAD\n"
					"AQH/MA4GA1UdDwEB/wQEAwIBhjAdBgNVHQ4EFgQUA+5MOKA01v4dWw+JYxiXHbqR\n"
					"tF8wHwYDVR0jBBgwFoAUA+5MOKA01v4dWw+JYxiXHbqRtF8wCgYIKoZIzj0EAwID\n"
					"SAAwRQIhAMM8QKsLPFnK4Ox0kVoAgt5cFEEM6+doelfq7ei3Or4kAiB8ja4G5Hez\n"
					"ZLLKKr2LdRB6i4WCcYXbz87LjtgaAj8XGw==\n"
					"-----END CERTIFICATE-----\n";

static const char ca_fixture_ca_key[] = "-----BEGIN PRIVATE KEY-----\n"
					"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZQZ10FK6288JbJkh\n"
					"tVqpIrqy1VEGUXdVC8/2YjZ7lbGhRANCAASaw4tJhwRu2FPIlGsBMy1kIqp6SYqW\n"
					"xKshaodhghSWOT+qtwBYnO647QXXe9y3g4B38LMBLLiS0fag4NlhWM94\n"
					"-----END PRIVATE KEY-----\n";

static const char ca_fixture_ra_pem[] = "-----BEGIN CERTIFICATE-----\n"
					"MIIB0zCCAXqgAwIBAgIQQmvRM78sErysFW31scsRJDAKBggqhkjOPQQDAjAyMRow\n"
					"GAYDVQQDDBFUaOG7rSBuZ2hp4buHbSBDQTEUMBIGA1UECgwLc2ltcGtpIHRlc3Qw\n"
					"HhcNMjYxMjA2MTMzMDA2WhcNMjkwMzEwMTMzMTA2WjAvMRcwFQYDVQQDDA5zaW1w\n"
					"a2ktb3RhZCBSQTEUMBIGA1UECgwLc2ltcGtpIHRlc3QwWTATBgcqhkjOPQIBBggq\n"
					"hkjOPQMBBwNCAATdcttSHjIQGu/YxFvAqS5KtjQkMdpw0jgBs+7c26FqFNhJRfpI\n"
					"0GCJskUG4sBPqSMKgS0gyxclN13bqHhtm4Lao3UwczAMBgNVHRMBAf8EAjAAMB0G\n"
					"A1UdDgQWBBTxZe2tb34bgj86VW6kH+DHAiQkgzAfBgNVHSMEGDAWgBQD7kw4oDTW\n"
					"/h1bD4ljGJcdupG0XzAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUH\n"
					"AxwwCgYIKoZIzj0EAwIDRwAwRAIgUVeGu3CBbQaPkJG/+jqZ7dEVDX3dTLNZDmjl\n"
					"QY0HNyoCIAXCDBzYgA9Oz1eRJNI7Gb6aoXFKg9d5oDD8Opiipqys\n"
					"-----END CERTIFICATE-----\n";

static const char ca_fixture_ra_key[] = "-----BEGIN PRIVATE KEY-----\n"
					"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7TIgrjqQAvaY1K1R\n"
					"SLuZrTa0QjWwWIc/oi3H3CWyigChRANCAATdcttSHjIQGu/YxFvAqS5KtjQkMdpw\n"
					"0jgBs+7c26FqFNhJRfpI0GCJskUG4sBPqSMKgS0gyxclN13bqHhtm4La\n"
					"-----END PRIVATE KEY-----\n";
