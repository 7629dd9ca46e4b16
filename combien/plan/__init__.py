"""Many estimates at once: `compare` sets variants of a run side by side, with the differences
drawn from common random numbers; `plan` searches hardware × chips × site × offer over the
engine's arrays and returns the Pareto front of dollars, CO2e, water and wall-clock time."""
