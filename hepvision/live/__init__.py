"""Live sessions at camera frame rate: the engine, the session flow, the desktop window."""
