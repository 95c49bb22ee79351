"""The recall benchmark's data: facts about the user, the questions that should find them, and distractors.

    python bench/recall_fixture.py     # counts, and a sample of the generated distractors

Each fact is something a user tells the assistant, written the way people say
it, with an age (how long ago it was said) and one or two questions asked the
way people ask them.  A question is answered when its fact is among the
memories recall returns.

The facts are split in two.  TUNE is what the ranking was tuned on.  HELD_OUT
was written, like TUNE and the distractor generator, before any change to the
ranking, and is only scored: its figures are the honest estimate.

distractors() generates the other memories of a long-lived user, seeded and
deterministic: other people's pets, family and plans, the user's own passing
events, work, places, dates.  Near misses are deliberate (a friend's cat, a
cousin's birthday, another city, the same nouns), but no distractor states a
fact that answers one of the questions with another answer: a user with a cat
called Winston does not also say "my cat is called Misty".
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Collection
from dataclasses import dataclass

NOW = dt.datetime(2025, 11, 19, 20, 0)  # the benchmark's "now"; every age is counted back from it
DISTRACTOR_DAYS = 1100  # distractors are spread evenly over the three years before NOW


@dataclass(frozen=True)
class Fact:
    """A fact the user told the assistant *age_days* ago, and questions it answers."""

    text: str
    questions: tuple[str, ...]
    age_days: int
    older: str | None = None  # an earlier fact on the same subject that this one replaces (stored too)
    older_age_days: int = 0


TUNE: tuple[Fact, ...] = (
    Fact("My cat is Winston", ("What's my cat's name?", "What did I say my cat was called?"), 140),
    Fact("We have a beagle called Biscuit", ("What kind of dog do I have?", "What's the dog called?"), 400),
    Fact("I'm allergic to penicillin", ("What am I allergic to?", "Is there any medicine I shouldn't take?"), 700),
    Fact("My sister Emma lives in Cardiff", ("Where does my sister live?", "Which city is Emma in?"), 300),
    Fact("I work as a nurse at St Mary's hospital", ("Where do I work?", "What's my job?"), 500),
    Fact("My birthday is on the 14th of March", ("When's my birthday?",), 800),
    Fact("I've been vegetarian since 2019", ("Do I eat meat?",), 900),
    Fact("My dentist appointment is on Thursday at 3pm", ("When am I seeing the dentist?",), 5),
    Fact("My husband's name is Raj", ("What's my husband called?",), 1000),
    Fact("My favourite film is Paddington 2", ("What's my favourite movie?",), 250),
    Fact("I drive a blue Honda Jazz", ("What car do I have?",), 600),
    Fact("My son Oliver starts secondary school in September", ("When does my son start his new school?",), 60),
    Fact("I'm training for the Bristol half marathon in May", ("What race am I training for?",), 90),
    Fact("My mum's name is Margaret", ("What's my mother's name?",), 1100),
    Fact("I take 50mg of sertraline every morning", ("What medication am I on?", "How much sertraline do I take?"),
         200),
    Fact("I can't stand coriander", ("Is there any herb I hate?", "What food do I dislike?"), 400),
    Fact("Our wifi password is bluebottle42", ("What's the wifi password?",), 300),
    Fact("I moved to Bristol in March", ("Where do I live now?", "Which city do I live in?"), 250,
         older="I live in Leeds", older_age_days=900),
    Fact("My best friend is Tom Baker from university", ("Who's my best mate?",), 1000),
    Fact("My boss is called Sandra", ("Who do I report to at work?", "What's my manager's name?"), 180),
    Fact("I'm flying to Lisbon on the 2nd of December", ("When is my flight?", "Where am I going in December?"), 20),
    Fact("My blood type is O negative", ("What blood group am I?",), 1200),
    Fact("I play five-a-side football on Wednesday nights", ("What sport do I play?", "What do I do on Wednesdays?"),
         150),
    Fact("My nephew Leo is turning 6 in January", ("How old will my nephew be?",), 40),
    Fact("I learned to play the cello as a kid", ("What instrument do I play?",), 700),
    Fact("My car insurance renews on 1 August", ("When is my insurance due?",), 100),
    Fact("I'm scared of spiders", ("What am I afraid of?", "Do I have any phobias?"), 600),
    Fact("My favourite band is Radiohead", ("What music do I like?",), 800),
    Fact("I broke my left wrist in 2018", ("Which wrist did I break?", "Have I ever broken a bone?"), 900),
    Fact("My daughter Amelia is allergic to eggs", ("What is my daughter allergic to?", "Can Amelia have eggs?"),
         300),
    Fact("I usually take my coffee black with no sugar", ("How do I like my coffee?",), 500),
    Fact("My parents live in a village near York", ("Where do my parents live?", "Where are mum and dad based?"),
         700),
    Fact("I'm learning Spanish on Duolingo", ("What language am I learning?",), 120),
    Fact("The kids' school is Oakfield Primary", ("What school do my kids go to?",), 400),
    Fact("I've got a meeting with the Henderson client on Friday",
         ("Who am I meeting on Friday?", "When's the Henderson meeting?"), 3),
    Fact("Our anniversary is the 22nd of June", ("When is our wedding anniversary?",), 1000),
    Fact("I get migraines when I don't sleep enough", ("What gives me headaches?",), 400),
    Fact("My hamster Nibbles died last spring", ("What happened to my hamster?", "Did I have a hamster?"), 200),
    Fact("I'm saving up for a house deposit", ("What am I saving money for?",), 150),
    Fact("My GP is Dr Patel at the Clifton surgery", ("Who's my doctor?", "Which surgery am I registered with?"),
         800),
    # Added after the first tuning round, before any look at a held-out miss: more ground for the general tables.
    Fact("My sister's wedding is on the 3rd of May", ("When is my sister getting married?",), 60),
    Fact("My knee has been sore since I fell off my bike", ("What's wrong with my knee?", "Did I hurt myself?"), 30),
    Fact("We're thinking of moving to Spain when we retire", ("Where do we want to retire?",), 300),
    Fact("My son is terrified of the dark", ("What is my son scared of?",), 200),
    Fact("I'm doing a pottery class on Thursday evenings",
         ("What class do I take on Thursdays?", "What hobby have I taken up?"), 90),
    Fact("My favourite colour is green", ("What colour do I like best?",), 900),
    Fact("I support Liverpool", ("Which football team do I follow?",), 1000),
    Fact("I'm on a low-carb diet", ("Am I on a diet at the moment?",), 45),
    Fact("My daughter Martha has started violin lessons", ("What instrument is my daughter learning?",), 80),
    Fact("I work night shifts every other week", ("Do I work nights?", "What shifts do I do?"), 400),
    Fact("My brother-in-law is a pilot for British Airways",
         ("What does my brother-in-law do?", "Who in my family is a pilot?"), 700),
    Fact("I've booked a table at Luigi's for Saturday",
         ("Where are we eating on Saturday?", "Did I book a restaurant?"), 2),
    Fact("The code for the garage door is 2580", ("What's the garage code?",), 300),
    Fact("I'm colour blind", ("Can I tell red from green?", "Do I have any problems with my eyesight?"), 1100),
    Fact("My grandma was born in Jamaica", ("Where is my nan from?",), 800),
    Fact("I'm doing a charity bike ride from London to Brighton in July",
         ("What charity event am I doing?", "When is the bike ride?"), 70),
    Fact("I hate driving on motorways", ("Do I like motorways?", "What kind of driving do I avoid?"), 500),
    Fact("Our boiler was replaced last winter", ("When did we get a new boiler?",), 300),
    Fact("My partner works as a paramedic", ("What does my partner do for work?",), 600),
    Fact("I was born in 1988", ("What year was I born?", "How old am I?"), 1000),
    Fact("I volunteer at the food bank on Sundays", ("Where do I volunteer?", "What charity work do I do?"), 250),
    Fact("My cousin Ada just had a baby boy called Arlo",
         ("What did Ada call her baby?", "Has anyone in the family had a baby recently?"), 15),
    Fact("I'm trying to cut down on caffeine", ("Am I cutting back on coffee?",), 60),
    Fact("My favourite holiday was two weeks in Crete", ("Where was my best holiday?",), 700),
    Fact("My mum has dementia", ("Is my mother ill?", "What's wrong with mum?"), 500),
    Fact("I'm the treasurer of the allotment society", ("What role do I have at the allotment?",), 800),
    Fact("I can't swim", ("Can I swim?", "Am I any good in the water?"), 900),
    # Added after the second tuning round, again before any look at a held-out miss.
    Fact("Our rabbit Thumper lives in a hutch in the garden",
         ("Where does the rabbit sleep?", "What's our bunny called?"), 400),
    Fact("The cat has to have a tablet every night for her thyroid", ("Does the cat take any medicine?",), 150),
    Fact("My dad is 72", ("How old is my father?",), 500),
    Fact("My niece Saoirse is studying law at Durham",
         ("What is my niece studying?", "Which university is Saoirse at?"), 200),
    Fact("My parents' anniversary is in August", ("When is mum and dad's anniversary?",), 700),
    Fact("I'm self-employed as a wedding photographer", ("Do I work for myself?", "What kind of photography do I do?"),
         600),
    Fact("My contract ends in March", ("When does my contract finish?",), 60),
    Fact("I commute by train to Reading every day", ("How do I get to work?",), 400),
    Fact("We're getting a new kitchen fitted in the spring",
         ("What building work are we having done?", "When is the kitchen being done?"), 40),
    Fact("I'm going to my school reunion in October",
         ("What reunion am I going to?", "What's happening in October?"), 50),
    Fact("I never eat breakfast", ("Do I have breakfast?", "What do I eat in the morning?"), 800),
    Fact("I'm a big fan of crime dramas", ("What TV do I like?", "What shows should you recommend me?"), 500),
    Fact("I can't bear the sound of people chewing", ("What noise annoys me?",), 600),
    Fact("I had my appendix out when I was twelve", ("Have I had any operations?",), 1000),
    Fact("I wear contact lenses", ("Do I need glasses?",), 900),
    Fact("My blood pressure is a bit high", ("Is my heart health OK?",), 100),
    Fact("We spend every Christmas at my in-laws in Devon", ("Where do we go for Christmas?",), 600),
    Fact("The nearest hospital is Southmead", ("Which hospital is closest?",), 700),
    Fact("I used to live in Hong Kong", ("Have I lived abroad?",), 1000),
    Fact("My shoe size is 7", ("What size shoes do I wear?",), 1000),
    Fact("Our neighbours at number 12 are the Wilsons", ("Who lives next door?",), 500),
)

HELD_OUT: tuple[Fact, ...] = (
    Fact("My tortoise Sheldon is 40 years old", ("How old is my tortoise?", "What's my tortoise called?"), 600),
    Fact("My brother Jake works as a plumber in Manchester",
         ("What does my brother do for a living?", "Where does Jake work?"), 500),
    Fact("I'm lactose intolerant", ("Can I drink milk?", "Do I have any food intolerances?"), 900),
    Fact("I work from home on Mondays and Fridays",
         ("Which days do I work from home?", "Am I in the office on Friday?"), 200),
    Fact("My wife Sophie is a primary school teacher", ("What does my wife do?", "What's Sophie's job?"), 1000),
    Fact("My grandad turns 90 on the 5th of February",
         ("When is grandad's birthday?", "How old is my grandfather going to be?"), 30),
    Fact("I'm going to Glastonbury with Priya in June",
         ("Who am I going to the festival with?", "What am I doing in June?"), 60),
    Fact("I get really anxious on planes", ("Do I like flying?",), 400),
    Fact("My favourite food is my mum's lasagne", ("What's my favourite meal?", "What do I love to eat?"), 700),
    Fact("I have type 1 diabetes", ("Do I have any medical conditions?", "What kind of diabetes do I have?"), 1300),
    Fact("My passport expires in April 2026", ("When does my passport run out?",), 150),
    Fact("My dog Pepper is scared of fireworks", ("What is my dog frightened of?", "What's Pepper afraid of?"), 300),
    Fact("I grew up in Aberdeen", ("Where am I from originally?", "Where did I grow up?"), 1000),
    Fact("My daughter's ballet class is on Saturday mornings", ("When is my daughter's dance lesson?",), 100),
    Fact("I'm a software developer at a fintech startup", ("What do I do for work?", "What's my job?"), 400,
         older="I work in a call centre in Swindon", older_age_days=1200),
    Fact("My dad had a hip replacement in October", ("What operation did my father have?",), 40),
    Fact("I prefer tea to coffee", ("Do I like coffee?", "What's my hot drink of choice?"), 500),
    Fact("Our landlord is Mr Hughes", ("Who do we rent from?",), 600),
    Fact("My goal this year is to run a marathon under four hours",
         ("What's my running goal?", "What time am I aiming for in the marathon?"), 250),
    Fact("I have a parrot called Kiwi who says hello", ("What's my bird's name?", "What kind of pet is Kiwi?"), 800),
    Fact("My partner's birthday is on the 9th of November", ("When is my partner's birthday?",), 700),
    Fact("I'm reading The Name of the Wind at the moment", ("What book am I reading?",), 30),
    Fact("My sister-in-law Chloe is expecting twins", ("Who is having twins?", "What's Chloe's news?"), 90),
    Fact("I can't eat gluten because of coeliac disease", ("Can I eat bread?", "Why do I avoid gluten?"), 1100),
    Fact("My team at work uses Python and Postgres",
         ("What tech stack do we use at work?", "What programming language do I use at my job?"), 300),
    Fact("I want to visit Japan next spring", ("Where do I want to travel?", "What trip am I planning?"), 120),
    Fact("My best friend Maya lives in Toronto", ("Where does my best friend live?", "Which country is Maya in?"),
         900),
    Fact("I gave up smoking three years ago", ("Do I smoke?", "When did I quit cigarettes?"), 1100),
    Fact("My youngest, Isla, is four", ("How old is Isla?", "How old is my youngest?"), 365),
    Fact("I do yoga every Tuesday evening", ("What do I do on Tuesday evenings?", "How often do I do yoga?"), 150),
    Fact("I park at the Cabot Circus car park when I go into town", ("Where do I usually park in town?",), 300),
    Fact("My mother-in-law is visiting over Christmas",
         ("Who is coming for Christmas?", "When is my mother-in-law visiting?"), 20),
)


# ---------------------------------------------------------------------------
# Distractors: the rest of a long-lived user's memories
# ---------------------------------------------------------------------------

# Slot values.  Names, pets' names and companies never include a name from the facts above.
POOLS: dict[str, tuple[str, ...]] = {
    "name": tuple("""Alice Ben Charlotte Dan Ellie Finn Grace Harry Imogen Jack Kate Liam Lucy Mark Nadia Owen Poppy
        Ravi Sam Tara Umar Vicky Will Yasmin Zoe Adam Bella Callum Daisy Ethan Freya George Hannah Isaac Jess Kieran
        Lily Max Nina Oscar Phoebe Rory Sara Theo Ruby Aisha Connor Megan Ryan Holly Josh Anna Luke Katie Noah Amy
        Leon Mia Dylan Erin Joe Rosie Kai Fatima Marcus Helen Gareth Siobhan Declan Yusuf Mei Kofi Ines""".split()),
    "petname": tuple("""Misty Tiger Luna Bella Max Charlie Milo Coco Rosie Oscar Smudge Tilly Bonnie Alfie Poppy
        Ziggy Mabel Fudge Pickle Bruno Teddy Marmite Pumpkin Ginger Shadow Socks Dotty Rolo Peanut Bramble Hazel
        Nala Simba Olive Cooper Ralph Barney Ruby Toffee Muffin Pip Archie Percy Willow""".split()),
    "pet": ("cat", "dog", "kitten", "puppy", "rabbit", "guinea pig", "budgie", "goldfish", "horse", "ferret"),
    "pet_event": ("was sick on the carpet", "got out of the garden again", "knocked a glass off the table",
                  "brought a mouse in", "chewed through the phone charger", "had a fight with a fox",
                  "slept all afternoon on the sofa", "ate half a sandwich off the counter", "has fleas again",
                  "went missing for a whole day", "would not stop barking at the postman", "needs a haircut",
                  "learned to open the back door", "put on weight since the summer", "hid under the bed all day"),
    "vet_reason": ("a booster jab", "a limp", "its teeth", "an ear infection", "a check-up", "a sore paw",
                   "worming tablets", "a lump on its side"),
    "city": tuple("""Leeds Cardiff Bristol Manchester Glasgow Edinburgh Brighton Norwich Bath Oxford Cambridge Leicester
        Liverpool Sheffield Newcastle Exeter Plymouth Dublin Belfast Paris Berlin Madrid Rome Lisbon Amsterdam Prague
        Barcelona Vienna Copenhagen Nottingham Swansea Derby Chester Durham Inverness Galway Porto Seville""".split()),
    "country": ("France", "Spain", "Italy", "Portugal", "Greece", "Canada", "Australia", "Thailand", "Mexico",
                "Iceland", "Norway", "Vietnam", "Morocco", "Croatia", "Germany", "Ireland", "Peru", "Kenya"),
    "relation": ("sister", "brother", "mum", "dad", "cousin", "aunt", "uncle", "neighbour", "friend", "colleague",
                 "boss", "son", "daughter", "wife", "husband", "partner", "niece", "nan", "flatmate"),
    # Relations whose pets the user mentions: not the household's, whose pets are the user's too.
    "pet_relation": ("sister", "brother", "cousin", "aunt", "uncle", "neighbour", "friend", "colleague", "boss",
                     "nan", "flatmate"),
    # Relations whose lasting facts (where they live, their job, their birthday) no question asks about.
    "other_relation": ("cousin", "aunt", "uncle", "neighbour", "colleague", "flatmate", "niece", "godson",
                       "old teacher", "friend from school"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "month": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"),
    "day": ("1st", "2nd", "3rd", "4th", "5th", "7th", "8th", "10th", "11th", "12th", "15th", "17th", "19th", "20th",
            "21st", "23rd", "24th", "26th", "28th", "30th"),
    "time": ("9am", "10:30", "half eight", "noon", "2pm", "quarter past four", "6pm", "7:30", "8pm", "midnight"),
    "time_ago": ("yesterday", "last night", "this morning", "on Saturday", "last week", "at the weekend",
                 "on Tuesday", "a couple of days ago", "earlier today", "on Sunday night"),
    "future": ("tomorrow", "next week", "on Friday", "next month", "after Christmas", "at the weekend",
               "in a fortnight", "on Monday morning"),
    "food": ("sushi", "curry", "mushrooms", "olives", "spicy food", "pizza", "blue cheese", "Brussels sprouts",
             "seafood", "ramen", "tacos", "marmite", "liquorice", "pineapple on pizza", "fish and chips", "dim sum"),
    "drink": ("oat milk lattes", "green tea", "diet coke", "red wine", "craft beer", "sparkling water", "gin"),
    "meal": ("lunch", "dinner", "breakfast", "brunch", "a coffee", "a drink", "a curry"),
    "shop": ("Tesco", "the Co-op", "Boots", "Lidl", "the garden centre", "the bakery", "the bike shop", "Aldi",
             "the post office", "Waitrose", "the hardware shop", "the chemist"),
    "street": ("Gloucester Road", "the high street", "Park Street", "Mill Lane", "Station Road", "Church Street",
               "King Street", "the market square"),
    "film": ("Dune", "Barbie", "Oppenheimer", "The Godfather", "Toy Story", "Jaws", "Inception", "Frozen",
             "Mamma Mia", "Top Gun", "Alien", "Amelie"),
    "book": ("Normal People", "The Hobbit", "Middlemarch", "Atomic Habits", "a Lee Child thriller",
             "The Midnight Library", "Sapiens", "Rebecca", "a cookbook", "The Secret History"),
    "band": ("Coldplay", "Oasis", "Taylor Swift", "Arctic Monkeys", "Blur", "Adele", "Elbow", "the Beatles"),
    "sport": ("tennis", "rugby", "netball", "golf", "squash", "cricket", "badminton", "hockey", "climbing"),
    "hobby": ("pottery", "birdwatching", "crochet", "sourdough", "chess", "paddleboarding", "gardening",
              "photography", "running", "board games"),
    "job": ("accountant", "electrician", "physio", "solicitor", "chef", "paramedic", "architect", "vet",
            "graphic designer", "police officer", "pharmacist", "data analyst", "hairdresser", "firefighter"),
    "company": ("Acme Logistics", "Brightwave", "Northgate", "Kestrel Foods", "Bluepeak", "Orbital Labs",
                "Greenfield Homes", "Maple Insurance"),
    "dept": ("finance", "marketing", "legal", "HR", "sales", "IT", "procurement", "the design team"),
    "project": ("budget", "website", "migration", "quarterly", "audit", "rebrand", "onboarding", "tender"),
    "work_thing": ("the spreadsheet", "a broken build", "the slide deck", "the database", "the rota",
                   "the invoices"),
    "boss_event": ("cancelled the team meeting", "asked everyone to come in on Friday", "moved my one-to-one",
                   "wants the figures by Monday", "praised the launch in the all-hands", "is on holiday until June"),
    "appointment": ("haircut", "eye test", "MOT", "physio session", "blood test", "car service", "smear test",
                    "boiler service", "parents' evening"),
    "occasion": ("a wedding", "a stag do", "a conference", "a funeral", "a hen party", "a christening",
                 "a job interview", "a gig", "a long weekend"),
    "allergen": ("nuts", "shellfish", "cats", "pollen", "dust", "wasps", "latex", "strawberries", "sesame"),
    "drug": ("blood pressure tablets", "antibiotics", "an inhaler", "statins", "iron tablets", "antihistamines"),
    "condition": ("asthma", "high blood pressure", "a bad back", "eczema", "arthritis", "hay fever", "insomnia"),
    "symptom": ("headache", "sore throat", "stiff neck", "upset stomach", "bad cough", "toothache", "earache"),
    "body": ("arm", "ankle", "collarbone", "finger", "nose", "toe", "leg", "rib"),
    "operation": ("a knee operation", "cataract surgery", "a new hip", "his tonsils out", "a scan",
                  "physio for her shoulder"),
    "instrument": ("piano", "guitar", "drums", "violin", "ukulele", "saxophone", "flute", "trumpet"),
    "language": ("French", "Italian", "German", "Japanese", "Portuguese", "Welsh", "Mandarin", "Greek"),
    "thing": ("the car", "the holiday", "the rent", "the party", "the boiler", "the tickets", "the loan",
              "the school trip", "the garden", "the new sofa"),
    "adj": ("brilliant", "awful", "a bit disappointing", "really good", "overrated", "surprisingly decent",
            "far too long", "lovely"),
    "cuisine": ("Thai", "Lebanese", "Korean", "Greek", "Mexican", "Turkish", "Vietnamese", "Ethiopian"),
    "price": ("12", "25", "40", "9.99", "150", "3.50", "75", "600"),
    "year": ("2015", "2016", "2017", "2018", "2020", "2021", "2022", "2023"),
    "decade": ("thirty", "forty", "fifty", "sixty", "seventy"),
    "number": ("two", "three", "four", "five", "six", "ten", "twelve"),
    "chore": ("the gutters", "the shed roof", "the washing machine", "the car tyres", "the fence",
              "the bathroom tap", "the loft"),
    "event": ("the school play", "a pub quiz", "a christmas market", "a comedy night", "a food festival",
              "the village fete", "a charity run", "a football match"),
    "feeling": ("knackered", "a bit low", "really happy", "stressed", "relieved", "fed up", "excited"),
}

# Distractor templates: a user's passing news and other people's facts.  {name2} is a second name.
TEMPLATES: tuple[str, ...] = (
    # pets: other people's, and the user's own passing events
    "{name}'s {pet} is called {petname}",
    "My {pet_relation}'s {pet} {petname} {pet_event} {time_ago}",
    "{name} just adopted a {pet} called {petname}",
    "My neighbour's {pet} {pet_event} {time_ago}",
    "The {pet} next door {pet_event} {time_ago}",
    "My {pet} {pet_event} {time_ago}",
    "I took the {pet} to the vet {time_ago} for {vet_reason}",
    "{petname}, {name}'s {pet}, {pet_event} {time_ago}",
    "I saw a {pet} that looked just like {name}'s {time_ago}",
    "{pet} food has gone up to £{price} a bag at {shop}",
    "My {relation} wants to get a {pet} but the landlord says no",
    "{name} is looking after our {pet} while we're in {city}",
    # family and friends
    "My {other_relation} is moving to {city} in {month}",
    "My {other_relation}'s birthday is on the {day} of {month}",
    "{name}'s birthday is on the {day} of {month}",
    "{name} lives in {city} with her partner",
    "My {other_relation} lives in {city}",
    "My {relation} rang me {time_ago} about {thing}",
    "{name} is pregnant with her second baby",
    "I'm having dinner at my {relation}'s on {weekday}",
    "{name} got engaged to {name2} {time_ago}",
    "My {other_relation} {name} works as a {job} in {city}",
    "{name} started a new job as a {job} at {company}",
    "My {other_relation} has {condition}",
    "{name}'s son is called {name2}",
    "{name} and {name2} are splitting up",
    "My {other_relation} is coming to stay for {number} nights in {month}",
    "{name} turns {decade} in {month}",
    # work
    "My boss {boss_event}",
    "The {project} deadline has moved to {weekday}",
    "I had a meeting with {name} from {dept} about the {project} project",
    "{name} from {dept} is leaving {company} in {month}",
    "I need to finish the {project} report by {weekday}",
    "Our team away day is in {city} on the {day} of {month}",
    "{company} want a quote for the {project} work by {future}",
    "I stayed late at the office {time_ago} fixing {work_thing}",
    "My colleague {name} is off sick this week",
    "The printer on the third floor is broken again",
    "{name} is covering my shifts while I'm in {city}",
    "I had a performance review with {name} {time_ago}",
    # plans
    "I met {name} for {meal} on {weekday}",
    "{name} is flying to {city} on the {day} of {month}",
    "I need to book a {appointment} for {name}",
    "I've got my {appointment} {future} at {time}",
    "We went to {city} for {occasion} in {month}",
    "I'll pick {name} up from the station at {time}",
    "Remind me to call {name} about {thing} {future}",
    "I went to {event} with {name} on {weekday}",
    "{name} and I are going to see {film} on {weekday}",
    "{name} is going to {country} for {number} weeks in {month}",
    # preferences, mostly other people's
    "{name} loves {food}",
    "My {relation} hates {food}",
    "{name}'s favourite film is {film}",
    "{name} has been vegan since {year}",
    "I tried a new {cuisine} place on {street} {time_ago} and it was {adj}",
    "{name} only drinks {drink}",
    "My {other_relation}'s favourite band is {band}",
    "{name} is really into {hobby} at the moment",
    "I watched {film} {time_ago} and it was {adj}",
    "I finished {book} {time_ago}",
    "{name} lent me {book}",
    "{name} says {band} are playing in {city} in {month}",
    # health
    "{name} is allergic to {allergen}",
    "My {other_relation} is on {drug} for {condition}",
    "I had a {symptom} all day {time_ago}",
    "{name} broke her {body} playing {sport}",
    "The pharmacy on {street} closes at {time} on {weekday}s",
    "My {other_relation} is having {operation} in {month}",
    "I've had a {symptom} since {weekday}",
    "{name} has been off work with {condition}",
    # places and the rest
    "It rained all day in {city} {time_ago}",
    "The {shop} on {street} has closed down",
    "I went to {city} for {occasion} {time_ago}",
    "The train to {city} was cancelled {time_ago}",
    "{name} recommended a {cuisine} restaurant on {street}",
    "The bins go out on {weekday} nights",
    "I paid £{price} for {thing} at {shop}",
    "The boiler engineer is coming on {weekday}",
    "I spent the weekend doing {hobby} with {name}",
    "Traffic on {street} was awful {time_ago}",
    "{name} is learning {language} for a trip to {country}",
    "My {other_relation} is learning to play the {instrument}",
    "{name} is training for a marathon in {city}",
    "{name} plays {sport} on {weekday} nights",
    "I need to sort out {chore} before winter",
    "The kids have {event} on {weekday}",
    "I felt {feeling} {time_ago} after {occasion}",
    "{name} moved to {country} in {year}",
    "We've been quoted £{price} to fix {chore}",
    "{name} said the {cuisine} place on {street} does great {food}",
    "I lost my keys at {shop} {time_ago}",
    "My {relation} and I watched {film} {time_ago}",
    "{name} is selling her car for £{price}",
    "I've been feeling {feeling} about {thing}",
    "The wifi kept dropping out {time_ago}",
)

_SLOT_RE = re.compile(r"\{(\w+)\}")


def _fill(template: str, rng: random.Random) -> str:
    """The template with each slot filled from POOLS ({name2} is another name than {name})."""
    chosen: dict[str, str] = {}

    def value(match: re.Match[str]) -> str:
        slot = match.group(1)
        if slot == "name2":
            return rng.choice([n for n in POOLS["name"] if n != chosen.get("name")])
        chosen[slot] = rng.choice(POOLS[slot])
        return chosen[slot]

    text = _SLOT_RE.sub(value, template)
    return text[0].upper() + text[1:]


def distractors(count: int, seed: int = 13, avoid: Collection[str] = ()) -> list[tuple[str, float]]:
    """*count* distinct generated memories as (text, age in days), the same for the same seed; none is a fact's
    text nor one of *avoid*."""
    rng = random.Random(seed)
    taken = {fact.text for fact in TUNE + HELD_OUT} | {fact.older for fact in TUNE + HELD_OUT if fact.older}
    taken.update(avoid)
    found: list[tuple[str, float]] = []
    seen: set[str] = set()
    while len(found) < count:
        text = _fill(rng.choice(TEMPLATES), rng)
        if text in seen or text in taken:
            continue
        seen.add(text)
        found.append((text, rng.uniform(0, DISTRACTOR_DAYS)))
    return found


def main() -> None:
    questions = sum(len(fact.questions) for fact in TUNE), sum(len(fact.questions) for fact in HELD_OUT)
    print(f"tune: {len(TUNE)} facts, {questions[0]} questions; held-out: {len(HELD_OUT)} facts, "
          f"{questions[1]} questions; {len(TEMPLATES)} distractor templates")
    for text, age_days in distractors(12, seed=1):
        print(f"  {age_days:6.1f} d  {text}")


if __name__ == "__main__":
    main()
