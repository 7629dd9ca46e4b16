"""The engine: pure, vectorised equations (floats or numpy arrays alike) and their chaining.

Nothing here reads files, flags or the catalog: inputs come in as numbers, results go out as
numbers. See docs/methodology.md for every equation and its source.
"""

from combien.engine.chain import Inputs, Outputs, evaluate

__all__ = ["Inputs", "Outputs", "evaluate"]
