"""Reinforcement-learning search over hwdse design spaces (gymnasium / PettingZoo)."""
