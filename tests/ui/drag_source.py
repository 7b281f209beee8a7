#!/usr/bin/python3
"""A window with one label to drag a file from, as a file manager offers
files (text/uri-list): drag_source.py FILE. Prints "ready" once shown."""

import sys

import gi

gi.require_version("Gtk", "4.0")
gi.require_version("Gdk", "4.0")
from gi.repository import Gdk, Gio, GLib, Gtk  # noqa: E402


def main():
    uri = Gio.File.new_for_path(sys.argv[1]).get_uri()
    app = Gtk.Application(application_id="io.github.signetmail.Signet.DragSource",
                          flags=Gio.ApplicationFlags.NON_UNIQUE)

    def prepare(source, x, y):
        return Gdk.ContentProvider.new_for_bytes("text/uri-list", GLib.Bytes.new((uri + "\r\n").encode()))

    def activate(app):
        window = Gtk.ApplicationWindow(application=app, title="Drag Source", default_width=300, default_height=200)
        label = Gtk.Label(label="Drag me", hexpand=True, vexpand=True)
        source = Gtk.DragSource(actions=Gdk.DragAction.COPY)
        source.connect("prepare", prepare)
        label.add_controller(source)
        window.set_child(label)
        window.present()
        GLib.timeout_add(300, lambda: print("ready", flush=True) and False)

    app.connect("activate", activate)
    app.run([])


if __name__ == "__main__":
    main()
