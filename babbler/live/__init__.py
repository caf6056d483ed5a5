"""The live agent: a partner's audio in, 20 ms at a time, through the causal front end, the same sampling objects
the workflow uses and a streaming voice, out as the agent's babble (`babbler respond` offline, `babbler live` in a
browser)."""
