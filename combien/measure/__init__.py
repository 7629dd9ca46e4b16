"""Measurement: energy sensors, the tracker that reads them while a job runs, and its forecast.

with combien.Tracker(location="FR", project="my-model") as t:
    for step in range(steps):
        train_step()
        t.progress(step + 1, steps)
print(t.bill().co2e_total_kg)
"""
