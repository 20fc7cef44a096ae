/*
 * xtml_signal_fft.h - the twiddle factors of SignalRfft and SignalIrfft
 * (xtml_signal_fft.c), exposed for test_numerics.c, which checks them against
 * the library's double computation for every length the kernels accept.
 */
#ifndef XTML_SIGNAL_FFT_H
#define XTML_SIGNAL_FFT_H

#include <stdbool.h>
#include <stdint.h>

/* Longest fft_length the kernels accept (test_numerics checks every one). */
#define XTML_FFT_MAX_LENGTH 8192

/* One twiddle as the library rounds it for each element type: int16 and
 * int32 are floor(0.5 + (2^15 - 1) * v) and floor(0.5 + (2^31 - 1) * v),
 * float is v rounded to float, where v is the double cos and sin of the
 * double phase. */
typedef struct xtml_fft_twiddle {
    int32_t re16, im16, re32, im32;
    float ref, imf;
} xtml_fft_twiddle_t;

/* Twiddle i of an n-point complex FFT (phase -2 pi i / n) or, with `super`,
 * the real FFT's post-processing twiddle i (phase -pi ((i + 1) / n + 1/2)),
 * the phase negated for `inverse`. n in [1, XTML_FFT_MAX_LENGTH / 2], i below
 * n (super: below n / 2). false if the double phase is not where the
 * derivation expects it (never for those n; test_numerics checks). */
bool xtml_fft_twiddle(int32_t n, int32_t i, bool super, bool inverse, xtml_fft_twiddle_t *out);

/* The radixes of an n-point complex FFT as the library factors it (4s, then
 * 2s, then odd p up to floor(sqrt(n)), then what remains): count of
 * factors, 0 when one of them is not 2, 3, 4 or 5 (or n < 2). */
int32_t xtml_fft_factor(int32_t n, uint8_t *radix, int32_t max);

#endif
