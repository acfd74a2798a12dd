// Empty in the Embedded build, which compiles these sources into the hedge module (Package.swift).
