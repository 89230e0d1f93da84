"""Speech adapters: recognisers, speakers, audio sources and model management."""
