"""The embedded demo corpus (ARCHITECTURE §7): real speech from Debian packages, spoofs from local
TTS engines and vocoders. sources -> splits -> systems (tts, vocoders) -> condition -> build."""
