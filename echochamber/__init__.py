"""echochamber: how far does a hashtag community's conversation travel beyond its core?"""

__version__ = "0.1.0"
