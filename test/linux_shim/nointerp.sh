#!/bin/nonexistent -x
echo this script has no interpreter
