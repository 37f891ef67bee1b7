# main.py — runs the puck. Everything is in app_main (frozen or .mpy); this file stays one call.
import app_main

app_main.run()
