"""Band-limited resampling of 16-bit mono PCM (eSpeak's 22,050 Hz to 8 or 16 kHz).

Each output sample is the input convolved with a Blackman-windowed sinc whose
cut-off sits just below the lower of the two Nyquist frequencies, evaluated at
the output sample's exact position: an anti-aliasing low-pass and a fractional
interpolator in one step, for any pair of rates. numpy does the arithmetic in
blocks, so memory stays bounded for long texts.
"""

from __future__ import annotations

from math import gcd

import numpy as np

ZERO_CROSSINGS = 16  # sinc lobes kept on each side (filter quality)
ROLLOFF = 0.92  # cut-off as a fraction of the lower Nyquist frequency
BLOCK = 8192  # output samples per block


def resample_pcm16(pcm: bytes, source_rate: int, target_rate: int) -> bytes:
    """``pcm`` (little-endian int16 mono) at ``target_rate``; same duration."""
    if source_rate == target_rate or not pcm:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    common = gcd(source_rate, target_rate)
    up, down = target_rate // common, source_rate // common
    # Output sample n sits at input position n * down / up: integer part ``base``,
    # fractional part one of ``up`` phases, whose kernels are computed once.
    cutoff = ROLLOFF * min(1.0, up / down)  # 1.0 = the input's Nyquist frequency
    half = int(np.ceil(ZERO_CROSSINGS / cutoff))
    taps = np.arange(-half + 1, half + 1)
    distance = (np.arange(up) / up)[:, None] - taps[None, :]
    window = 0.42 + 0.5 * np.cos(np.pi * distance / half) + 0.08 * np.cos(2 * np.pi * distance / half)
    kernels = cutoff * np.sinc(cutoff * distance) * window
    padded = np.concatenate([np.zeros(half - 1), samples, np.zeros(half + 1)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, len(taps))
    count = len(samples) * up // down
    out = np.empty(count, dtype=np.float64)
    for start in range(0, count, BLOCK):
        scaled = np.arange(start, min(count, start + BLOCK)) * down
        base, phase = np.divmod(scaled, up)
        out[start : start + len(scaled)] = np.einsum("ij,ij->i", windows[base], kernels[phase])
    return np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes()
