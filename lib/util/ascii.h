/*
 * ascii.h - the ASCII character classes of the mail and DNS grammars, independent of
 * the C locale (ctype.h answers by locale and is undefined for negative char values).
 *
 *   ascii_is_alpha()  ALPHA (RFC 5234 B.1)      ascii_is_digit()  DIGIT
 *   ascii_is_alnum()  ALPHA / DIGIT             ascii_is_hex()    HEXDIG, either case
 *   ascii_is_wsp()    WSP: SP / HTAB            ascii_is_ldh()    letter, digit, "-"
 *   ascii_lower()     A-Z to a-z, every other byte as it is
 *
 * Every function takes a byte as unsigned char (pass uint8_t or (unsigned char)c).
 */
#ifndef POSTURE_ASCII_H
#define POSTURE_ASCII_H

#include <stdbool.h>

/* ALPHA = %x41-5A / %x61-7A. */
static inline bool
ascii_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* DIGIT = %x30-39. */
static inline bool
ascii_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* ALPHA / DIGIT. */
static inline bool
ascii_is_alnum(unsigned char c)
{
	return ascii_is_alpha(c) || ascii_is_digit(c);
}

/* A-Z to a-z; every other byte unchanged. */
static inline unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* HEXDIG in either case. */
static inline bool
ascii_is_hex(unsigned char c)
{
	return ascii_is_digit(c) || (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f');
}

/* WSP = SP / HTAB. */
static inline bool
ascii_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Letter, digit or "-": a byte of an LDH label (RFC 1035 2.3.1, RFC 5890 2.3.1). */
static inline bool
ascii_is_ldh(unsigned char c)
{
	return ascii_is_alnum(c) || c == '-';
}

#endif
