"""The third fresh set of held-out facts for the recall benchmark, written by someone who never saw the ranking code."""
from recall_fixture import Fact

# Persona: Joseph Otieno, 46, owns a few matatus (minibuses) in Kisumu, Kenya; wife Achieng (teacher),
# kids Brian (17), Mercy (12) and Tony (3); widowed mother Mama Rose in Bondo; type 2 diabetic.
FRESH: tuple[Fact, ...] = (
    # --- pets and animals ---
    Fact(
        "lol the kids have renamed the puppy Simba, he won't even answer to Bingo anymore",
        ("What's our dog called these days?", "What name does the pup go by now?"),
        700,
        older="We took one of the puppies from Okoth's litter, we're calling him Bingo",
        older_age_days=760,
    ),
    Fact(
        "dog's rabies jab is due again in March, we use Dr Wafula the vet on Oginga Odinga street",
        ("Who's the vet we take the dog to?", "When does the dog need his next rabies shot?"),
        60,
    ),
    Fact(
        "Mama has 6 goats at the shamba in Bondo now, she named the billy Obama haha",
        ("What did my mother call the he-goat?", "How many goats does Mama keep?"),
        900,
    ),
    Fact(
        "Mercy brought home a grey kitten she found behind the school, calls it Pili",
        ("What's my daughter's cat called?", "Where did the kitten come from?"),
        200,
    ),
    Fact(
        "our kienyeji hens are laying well, we have 9 hens and one cock in the back",
        ("How many chickens have we got at home?", "What breed of hens do we keep?"),
        400,
    ),
    Fact(
        "the dog gets itchy on that cheap Sprats food, only buy Pedigree for him from now",
        ("Which brand of dog food should I be buying?", "Why did we stop the other pet food?"),
        300,
    ),
    # --- family and friends ---
    Fact(
        "Achieng and I got married on 12 December 2009 at St Stephen's church Milimani",
        ("When is our wedding anniversary?", "Which church did my wife and I marry in?"),
        1050,
    ),
    Fact(
        "Brian's KCSE papers start on 4 November, he's revising every night",
        ("When do my son's final exams begin?", "What date do Brian's national exams start?"),
        40,
    ),
    Fact(
        "Brian has decided he wants civil engineering at JKUAT",
        ("What course does my eldest want to do at university?", "Which uni is Brian aiming for?"),
        150,
    ),
    Fact(
        "Mercy turns 12 on 19 June, she wants a cake with a plane on it",
        ("When's my daughter's birthday?", "What sort of cake does Mercy want?"),
        420,
    ),
    Fact(
        "Tony was born this morning at Aga Khan hospital, 3.4kg, mother and baby fine!!",
        ("Which hospital was the baby born in?", "How heavy was Tony when he was born?"),
        1000,
    ),
    Fact(
        "Mama turns 80 on 8 November, we're throwing her a big party at home in Bondo",
        ("How old is my mum going to be?", "Where are we holding Mama Rose's birthday do?"),
        30,
    ),
    Fact(
        "Fred's new number is 0722 418 905, his old line got stolen with the phone",
        ("What's my brother's phone number?", "How do I reach Fred now?"),
        90,
        older="My brother Fred's number is 0711 302 664",
        older_age_days=800,
    ),
    Fact(
        "Fred is an accountant at KenGen in Nairobi",
        ("Where does my brother work?", "What does Fred do for a living?"),
        850,
    ),
    Fact(
        "Atieno (Achieng's sister) is getting married in Kakamega on 14 December",
        ("When is my sister-in-law's wedding?", "Where's Atieno's wedding?"),
        50,
    ),
    Fact(
        "Baba passed in 2015, we do his memorial in Bondo every 9 April",
        ("When do we hold my late father's memorial?", "What year did Baba die?"),
        1000,
    ),
    Fact(
        "Achieng has moved to Kisumu Girls this term, still teaching chemistry",
        ("Which school is my wife teaching at now?", "Where does Achieng work?"),
        250,
        older="Achieng teaches chemistry and biology at Maseno School",
        older_age_days=1000,
    ),
    Fact(
        "Achieng says no more omena in the house, the smell stays for days",
        ("What food does my wife not want cooked at home?",),
        500,
    ),
    Fact(
        "Beatrice has gone back to Busia, our new house help is Nafula, we pay her 9,000 a month",
        ("Who's our house girl now?", "How much does the house help get paid?"),
        180,
        older="Our house help is Beatrice, we pay her 8,000 a month",
        older_age_days=700,
    ),
    Fact(
        "my cousin Jakoyo Odhiambo has a hardware in Bondo, he'll give us the cement at cost",
        ("Which relative is supplying the cement?", "Who's the family member with the hardware shop?"),
        220,
    ),
    Fact(
        "Brian's best friend is Kelvin Ouma, his dad is the pastor at Kisumu Central SDA",
        ("Who's my son's best mate?", "What does Kelvin's dad do?"),
        350,
    ),
    Fact(
        "Mercy's choir got through, the national music festival is in Eldoret this year",
        ("Where are the music festival nationals being held?", "What is my daughter competing in?"),
        100,
    ),
    Fact(
        "Auntie Grace from church agreed to be Tony's godmother",
        ("Who is the little one's godmother?",),
        950,
    ),
    # --- work: the matatu business ---
    Fact(
        "I have three matatus now, all on the Kisumu-Kakamega route",
        ("How many matatus do I own?", "Which route do my vehicles run on?"),
        600,
    ),
    Fact(
        "sacked Onyango for drinking on duty, Kevin Omondi is driving KDA 412X from today",
        ("Who drives KDA 412X?", "Who did I hire after getting rid of the drunk driver?"),
        120,
        older="Onyango drives KDA 412X, he's off on Mondays",
        older_age_days=900,
    ),
    Fact(
        "the matatus are with Kisumu Express Sacco, levy is 300 bob per vehicle per day",
        ("Which sacco are my matatus registered under?", "How much is the daily sacco charge per van?"),
        700,
    ),
    Fact(
        "NTSA inspection for KDA 412X is on the 21st at the Kisumu testing centre",
        ("When is the matatu's inspection?", "Where do I take the van for the NTSA test?"),
        10,
    ),
    Fact(
        "matatu insurance is with Jubilee, renews 1 March, about 85k per vehicle",
        ("Who insures the matatus?", "When is the insurance renewal for the business vehicles?"),
        330,
    ),
    Fact(
        "my mechanic is Baraka at Kibuye jua kali, 0733 555 120",
        ("What's the mechanic's number?", "Who fixes my vehicles?"),
        650,
    ),
    Fact(
        "thinking of adding another matatu, a Nissan Caravan, Equity quoted a 2.8m loan",
        ("How big a loan would the new van need?", "Which model am I looking at for the extra matatu?"),
        25,
    ),
    Fact(
        "pretty sure Bosco the conductor is pocketing fares, keeping an eye on him",
        ("Which conductor do I suspect of stealing?",),
        70,
    ),
    # --- health ---
    Fact(
        "Dr Achola has put my metformin up to 1000mg twice a day",
        ("What dose of my diabetes tablets am I on?", "How often do I take my sugar medicine now?"),
        45,
        older="Started on metformin 500mg once a day for the sugar",
        older_age_days=600,
    ),
    Fact(
        "HbA1c came back 7.9, doctor wants it under 7 by next check",
        ("What was my last sugar test result?", "What number does the doctor want my HbA1c below?"),
        44,
    ),
    Fact(
        "eye check at Lions Sight First hospital on the 9th at 10am",
        ("When am I seeing the eye doctor?", "Which hospital is my eye appointment at?"),
        5,
    ),
    Fact(
        "I'm allergic to penicillin, came out in a bad rash in 2019",
        ("Which antibiotic can't I take?", "What happened to me when I took penicillin?"),
        1080,
    ),
    Fact(
        "chemist took my BP, 150/95, said I must cut down the salt",
        ("What was my blood pressure reading?", "What did the pharmacist tell me to cut back on?"),
        15,
    ),
    Fact(
        "Dr Nyakundi at Mega Plaza did a filling on my bottom left molar, back in 6 months",
        ("Who's my dentist?", "Which tooth did I have filled?"),
        300,
    ),
    Fact(
        "Achieng's inhaler is Ventolin, we keep a spare one in the cubby of the car",
        ("What inhaler does my wife use for her asthma?", "Where's the spare puffer kept?"),
        650,
    ),
    Fact(
        "NHIF is finished, my new SHA number is SHA-4471-2290",
        ("What's my health insurance number?",),
        200,
    ),
    Fact(
        "Tony's typhoid jab is Tuesday at Lumumba health centre",
        ("When is the baby's vaccination?", "Where is my youngest getting his injection?"),
        3,
    ),
    Fact(
        "Mama's knee replacement is booked for 13 January at JOOTRH",
        ("When is my mum's operation?", "Which hospital is doing Mama's knee?"),
        20,
    ),
    Fact(
        "started walking 5km round Impala park every morning for the sugar",
        ("Where do I do my morning walk?", "How far do I walk each day?"),
        90,
    ),
    Fact(
        "Brian broke his wrist at rugby, the cast comes off on the 28th",
        ("When does my son's plaster come off?", "How did Brian hurt his arm?"),
        14,
    ),
    # --- home and places ---
    Fact(
        "we've moved! new place is plot 27 Riat Hills, off the Kakamega road",
        ("What's our home address?", "Which estate do we live in now?"),
        400,
        older="We're in Kondele, flat 3B Ogada Court",
        older_age_days=1050,
    ),
    Fact(
        "rent here is 35,000, Mr Patel wants it by the 5th of every month",
        ("How much is our rent?", "Who's the landlord?"),
        390,
    ),
    Fact(
        "Bondo house: foundation is done, roofing is next once the iron sheets come",
        ("How far along is the house in the village?", "What's the next job on the Bondo house?"),
        60,
    ),
    Fact(
        "the fundi building the Bondo house is Mzee Ochieng, 1,500 a day",
        ("Who's the builder in Bondo?", "What's the fundi's daily rate?"),
        55,
    ),
    Fact(
        "Kenya Power token meter number is 37194552810",
        ("What's our electricity meter number?",),
        380,
    ),
    Fact(
        "KIWASCO water bill comes on the 10th, account 220-6781",
        ("What's the water account number?", "When does the water bill arrive?"),
        370,
    ),
    Fact(
        "borehole at the Bondo plot is done, 60m deep, cost us 420,000",
        ("How much did the borehole cost?", "How deep did they drill for water at the shamba?"),
        500,
    ),
    Fact(
        "Zuku wifi password is Nyanza!2024",
        ("What's the wifi password?",),
        390,
    ),
    Fact(
        "best fried fish in Kisumu is Ma Oketch's stall at Dunga beach",
        ("Whose stall do I rate for fish?", "Which beach is that fish place at?"),
        800,
    ),
    # --- vehicles ---
    Fact(
        "sold the Probox, got a silver Toyota Fielder KDN 553Q",
        ("What car do I drive now?", "What's my car's number plate?"),
        150,
        older="My own car is a white Probox KCY 218L",
        older_age_days=1000,
    ),
    Fact(
        "the car's next service is due at 95,000km",
        ("At what mileage should my car go for service?",),
        100,
    ),
    Fact(
        "my driving licence expires 14 May 2026",
        ("When does my licence run out?",),
        400,
    ),
    # --- money and admin ---
    Fact(
        "Brian's fees at Kisumu Boys are in three instalments of 48,000",
        ("How much is each school fees payment for my son?", "Which secondary school is Brian at?"),
        270,
    ),
    Fact(
        "chama meets last Sunday of the month, I put in 5,000 each time",
        ("How much do I contribute to the chama?", "When does the investment group meet?"),
        600,
    ),
    Fact(
        "KRA PIN A009876543Z, returns due by 30 June",
        ("What's my KRA PIN?", "When do I have to file my tax return?"),
        360,
    ),
    Fact(
        "lent Omosh 20,000, he swears he'll pay back end of month",
        ("How much did I lend Omosh?", "Who owes me money?"),
        35,
    ),
    Fact(
        "the till number for the matatu business is 512804",
        ("What's the M-Pesa till for the business?",),
        450,
    ),
    Fact(
        "saving for Brian's university in the Equity account, want 400k by next September",
        (
            "How much am I trying to save for my son's uni?",
            "Which bank is the university money in?",
        ),
        210,
    ),
    Fact(
        "title deed for the Bondo land is in safe deposit box 112 at Equity",
        ("Where's the title deed kept?", "What's the number of our safe deposit box?"),
        700,
    ),
    # --- preferences and dislikes ---
    Fact(
        "I don't drink at all, stopped in 2012",
        ("When did I give up alcohol?", "Do I drink beer?"),
        1000,
    ),
    Fact(
        "can't stand reggae blasting in the matatus, told the drivers to play benga",
        ("What music do I want played in the vans?", "Which kind of music do I hate?"),
        550,
    ),
    Fact(
        "nothing beats ugali with fried tilapia, my favourite",
        ("What's my favourite meal?",),
        900,
    ),
    Fact(
        "taking my chai with no sugar now because of the diabetes",
        ("How do I take my tea these days?",),
        580,
    ),
    Fact(
        "Gor Mahia since I was a small boy, K'Ogalo forever",
        ("Which football club do I support?",),
        1090,
    ),
    Fact(
        "Achieng's favourite flowers are white lilies",
        ("What flowers should I get my wife?",),
        800,
    ),
    # --- hobbies ---
    Fact(
        "draughts every Saturday afternoon at Kibuye with Mzee Ouko",
        ("Who do I play draughts with?", "What day is my board game?"),
        500,
    ),
    Fact(
        "went fishing near Hippo Point with Were next door, I landed a 6kg Nile perch!",
        ("How big was the fish I caught?", "Who came fishing with me?"),
        250,
    ),
    Fact(
        "joined Kisumu Rotary, meetings are Thursdays 1pm at the Acacia hotel",
        ("Where does the Rotary club meet?", "What day are the Rotary meetings?"),
        300,
    ),
    Fact(
        "reading The River Between by Ngugi again, forgot how good it is",
        ("What book am I reading at the moment?", "Who wrote the novel I'm on?"),
        20,
    ),
    Fact(
        "started nyatiti lessons with Jaduong' Okumu in Kondele, 2,000 a lesson",
        ("What instrument am I learning?", "How much does each music lesson cost?"),
        140,
    ),
    # --- plans and appointments ---
    Fact(
        "booked Voyager Beach Resort in Mombasa for the family, 27 to 31 December",
        ("Where are we staying at the coast?", "What dates is the Mombasa holiday?"),
        30,
    ),
    Fact(
        "parents' meeting at Mercy's school on Friday at 2pm",
        ("When is the parents' meeting for my daughter?",),
        2,
    ),
    Fact(
        "meeting Mr Kiprop at Equity on Wednesday 11am about the matatu loan",
        ("Who's the bank officer I'm seeing?", "When is my appointment at the bank?"),
        4,
    ),
    Fact(
        "church harambee for the new roof is on the 22nd, I pledged 15,000",
        ("How much did I promise for the church roof?", "When is the fundraiser at church?"),
        12,
    ),
    Fact(
        "Fred, Lilian and the twins are coming to stay with us for Christmas",
        ("Who's coming to stay over Christmas?", "What's my brother's wife called?"),
        40,
    ),
    Fact(
        "Mercy's class is going to Kakamega forest, need to pay 2,500 by Monday",
        ("Which forest is my daughter's class visiting?", "How much is Mercy's school trip?"),
        6,
    ),
    Fact(
        "passport renewal appointment is at the Huduma centre on the 17th",
        ("Where do I go to renew my passport?", "What date is the passport appointment?"),
        8,
    ),
    Fact(
        "we go to St Theresa's Kibuye, usually the 9am Swahili mass",
        ("Which church do we attend?", "What time is the mass we usually go to?"),
        900,
    ),
    Fact(
        "Were next door has a spare key to the house for when we travel",
        ("Who has our spare key?",),
        380,
    ),
    Fact(
        "Mercy now says she wants to be a pilot when she grows up",
        ("What does my daughter want to be?",),
        160,
    ),
    Fact(
        "Tony has started at Little Angels daycare, 7,000 a month",
        ("Which nursery is the baby at?", "How much is daycare for Tony?"),
        100,
    ),
    Fact(
        "bought 4 solar panels for the Bondo house from Davis & Shirtliff",
        ("Where did I buy the solar panels?", "How many panels did we get for the village house?"),
        75,
    ),
    Fact(
        "Nyar Alego is looking after Mama in Bondo now, we send her 5,000 a month",
        ("Who takes care of my mother in the village?", "How much do we pay Mama's carer?"),
        260,
    ),
    Fact(
        "Achieng's birthday is 7 September, don't forget this year!!",
        ("When's my wife's birthday?",),
        850,
    ),
    Fact(
        "I'm O negative, gave blood at the Kisumu blood bank today",
        ("What's my blood group?", "Where did I go to donate blood?"),
        700,
    ),
    Fact(
        "Achieng is hinting she wants a Samsung A55 for Christmas",
        ("What phone does my wife want as a present?",),
        35,
    ),
    Fact(
        "groundnuts give me terrible heartburn, must avoid",
        ("Which food gives me heartburn?",),
        420,
    ),
)
