#!/bin/sh
echo hello from the initrd
