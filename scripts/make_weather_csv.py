#!/usr/bin/env python3
"""Writes datasets/weather.csv: 600 generated rows for the multi-label example
(pipelines/multilabel-weather.json). Four measurements and three 0/1 labels, each label a
threshold of a linear function of the measurements plus a little noise, so a row may carry
none, one, two or all three labels:

    hot   = temperature + 0.05 * humidity + noise > 26
    rain  = 0.6 * humidity - 0.8 * (pressure - 1010) + noise > 50
    windy = wind + 0.5 * (1010 - pressure) + noise > 35

Usage: python3 scripts/make_weather_csv.py > datasets/weather.csv (Python's own random, seed 23).
"""
import random

rng = random.Random(23)
print("temperature,humidity,wind,pressure,hot,rain,windy")
for _ in range(600):
    temperature = rng.uniform(0, 35)
    humidity = rng.uniform(20, 100)
    wind = rng.uniform(0, 60)
    pressure = rng.uniform(980, 1040)
    hot = temperature + 0.05 * humidity + rng.gauss(0, 1) > 26
    rain = 0.6 * humidity - 0.8 * (pressure - 1010) + rng.gauss(0, 2) > 50
    windy = wind + 0.5 * (1010 - pressure) + rng.gauss(0, 2) > 35
    print(f"{temperature:.1f},{humidity:.0f},{wind:.1f},{pressure:.1f},{int(hot)},{int(rain)},{int(windy)}")
