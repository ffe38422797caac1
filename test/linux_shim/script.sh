#!/bin/echoargs  -x  
echo this line is never run by a shell
