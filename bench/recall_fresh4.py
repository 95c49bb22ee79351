"""The fourth fresh set of held-out facts for the recall benchmark, written by someone who never saw the ranking
code."""
from recall_fixture import Fact

# Persona: Ingrid Halvorsen, 52, Norwegian-born baker in Duluth MN; co-owns a bakery with brother Lars,
# divorced (ex Greg), daughter Solveig in Minneapolis, son Mikkel (16) at home, old husky Tuva, dad in Tromsø.
FRESH: tuple[Fact, ...] = (
    # --- pets ---
    Fact(
        "Tuva turned 13 last week, can you believe it. vet says her hips are going so she's on carprofen "
        "now, one tablet twice a day with food",
        ("How old is my dog?", "What pain medicine is the husky on?"),
        210,
    ),
    Fact(
        "ok we switched vets, Tuva goes to Dr. Okafor at Lakeside Animal Clinic on London Road now. much calmer place",
        ("Who's the dog's vet these days?", "What's the animal clinic we use now?"),
        95,
        older="Tuva's vet is Dr. Brandt over at Northland Pet Hospital",
        older_age_days=900,
    ),
    Fact(
        "note to self: Tuva can only do the salmon kibble (Fromm), the chicken one gives her the runs every time",
        ("Which dog food agrees with her stomach?", "Which kibble flavor makes Tuva sick?"),
        430,
    ),
    Fact(
        "Kayla, the Nguyens' daughter, is going to dog-sit when we travel. I'm paying her $25/day, she comes "
        "by twice a day",
        ("Who can watch the husky if I go out of town?", "How much do I pay the dog sitter per day?"),
        150,
    ),
    Fact(
        "Mikkel got his leopard gecko for his birthday, he named it Pancake lol. needs live crickets, we get "
        "them at Petco on Miller Hill every Saturday",
        ("What did my son name his lizard?", "Where do we buy the bugs for the gecko?"),
        260,
    ),
    # --- family ---
    Fact(
        "Solveig's new place is 2815 Girard Ave S, apt 4, in Uptown. she moved in over the weekend",
        ("What's my daughter's address now?",),
        60,
        older="Solveig's address: 1120 Como Ave SE, Minneapolis (near campus)",
        older_age_days=720,
    ),
    Fact(
        "Solveig got the job at Abbott Northwestern!! respiratory therapist. she'll be on nights mostly, 7p "
        "to 7a three nights a week",
        ("What does my daughter do for work?", "What shift is Solveig usually on?"),
        340,
    ),
    Fact(
        "Mikkel is goalie for Denfeld JV this year, practice is at the Heritage Center at 6am some mornings ugh",
        ("What position does my son play in hockey?", "Which high school does Mikkel go to?"),
        120,
    ),
    Fact(
        "Mikkels road test is booked - March 14, 9:40am at the Duluth exam station. he needs to bring his "
        "permit and the log sheet",
        ("When is the kid's driving test?", "What paperwork does my son need for the road test?"),
        25,
    ),
    Fact(
        "Greg has Mikkel every other weekend, he picks him up Friday at 5 and drops him back Sunday by 7",
        ("When does my ex get our son on his weekends?", "What time should Mikkel be home on Sunday after his dad's?"),
        600,
    ),
    Fact(
        "Greg has a new cell, 218-555-0193. delete the old one",
        ("What's my ex-husband's phone number?",),
        45,
        older="Greg's cell is 218-555-0147",
        older_age_days=1300,
    ),
    Fact(
        "Pappa is at Kvaløysletta sykehjem now. his primærkontakt (contact nurse) is Marit Johansen, she "
        "speaks good english and emails me updates",
        ("Who looks after Dad over there?", "What's the name of the nursing home my father is in?"),
        180,
    ),
    Fact(
        "Pappa turns 84 on November 2nd, need to mail the package by mid October or it wont get there",
        ("When is my father's birthday?", "How old is Dad turning this year?"),
        70,
    ),
    Fact(
        "Lars and I own the bakery 50/50. he does the bread side, I do pastry, ordering and the books",
        ("How is the ownership of the bakery split?", "Who does the bookkeeping at work?"),
        1100,
    ),
    Fact(
        "Dana's pregnant!! Lars told me this morning, due early August. I'm going to be a tante again",
        ("When is my sister-in-law's baby due?", "Who in the family is expecting?"),
        200,
    ),
    Fact(
        "cousin Kjersti in Bergen sends a box every christmas with brunost and the good licorice, I always "
        "send her maple syrup back",
        ("Who sends us the brown cheese from Norway?", "What do I usually send back to Kjersti?"),
        380,
    ),
    Fact(
        "April 19 is Mamma's day. she died in 2011. I light a candle and make her sveler recipe every year",
        ("When is the anniversary of my mom's death?", "What do I bake every year in memory of my mother?"),
        800,
    ),
    Fact(
        "Solveigs boyfriend is Theo, he's doing a PhD in geology at the U. nice kid, pretty quiet, vegetarian",
        ("What's my daughter's boyfriend called?", "What is Theo studying?"),
        290,
    ),
    Fact(
        "Solveig's birthday is October 9, she'll be 27. she wants a gift card to REI this year not a sweater lol",
        ("When is my daughter's birthday?", "What does Solveig want for her birthday?"),
        30,
    ),
    Fact(
        "Solveig and Theo are coming up for Easter weekend, arriving Friday night. need to make up the guest room",
        ("When is my daughter coming to visit next?", "What room do I need to get ready for the holiday weekend?"),
        12,
    ),
    # --- friends ---
    Fact(
        "Renee and I go way back, our kids were in preschool together. she's an ICU nurse at Essentia now",
        ("Where does Renee work?", "How did I meet Renee?"),
        1000,
    ),
    Fact(
        "book club is first Thursday of the month at Pam's, 7pm. this month we're doing The Overstory (it's LONG)",
        ("When does book club meet?", "What's the current book club pick?"),
        40,
    ),
    Fact(
        "Renee's 50th is June 8. planning a surprise dinner at the Boathouse, need to get Mark (her husband) in on it",
        ("When is Renee's big birthday?", "Where was I thinking of taking my friend for her 50th?"),
        90,
    ),
    Fact(
        "Hiroshi from the ski club has the whole waxing bench setup in his garage, he said bring my skis "
        "over anytime for a hot wax",
        ("Who can wax my skis for me?",),
        330,
    ),
    Fact(
        "Bev finally moved to Bayfield! she's renting a little house near the ferry dock",
        ("Where does Bev live now?",),
        110,
        older="Bev lives in Two Harbors, the yellow house on 3rd Ave",
        older_age_days=1200,
    ),
    # --- neighbours ---
    Fact(
        "Dale on the left plows our driveway with his tractor when it's a big snow. won't take money so I "
        "pay him in cinnamon rolls",
        ("Who clears our driveway when it snows?", "How do I repay the neighbor for plowing?"),
        700,
    ),
    Fact(
        "the Nguyens across the street have our spare key, and I have theirs (on the blue keychain)",
        ("Who has a spare key to my house?", "Which keychain has the neighbors' key on it?"),
        950,
    ),
    # --- work / bakery ---
    Fact(
        "new hours for the bakery starting this month: 6:30am to 2pm, closed Mondays",
        ("What are the bakery's hours now?", "Which day is the shop closed?"),
        80,
        older="bakery hours are 7 to 3, open every day",
        older_age_days=1000,
    ),
    Fact(
        "we switched flour to Janie's Mill (Illinois, organic). delivery every other Wednesday, Lars loves the rye",
        ("Who do we get our flour from now?", "How often does the flour come?"),
        150,
        older="flour comes from Bay State Milling through Sysco",
        older_age_days=1100,
    ),
    Fact(
        "oven guy: Tom Kowalski, Northland Commercial Kitchen Repair, 218-555-0122. he's the only one around "
        "who knows the Rational combi",
        ("What's the name of the guy who fixes the ovens?", "What's the number for oven repairs?"),
        500,
    ),
    Fact(
        "Jess works the counter weekday mornings, Aiden does sat/sun. Aiden's still in high school so he "
        "can't go over 20 hrs a week",
        ("Who's on the counter on weekends?", "What's the max hours Aiden can work?"),
        130,
    ),
    Fact(
        "cardamom buns are still the #1 seller by a mile, we sold like 150 on Saturday",
        ("What sells best at the bakery?", "About how many cardamom buns go on a Saturday?"),
        55,
    ),
    Fact(
        "kringle recipe (Mamma's): 250g butter, 2 cups flour, 1 cup water, 3 eggs, 1 tsp almond extract. "
        "powdered sugar icing + sliced almonds on top",
        ("How much butter goes in the kringle?", "What's on top of the kringle?"),
        640,
    ),
    Fact(
        "we got in to the Lincoln Park farmers market for summer, thursdays 3-7, booth 14 by the fountain",
        ("Which booth are we at the market?", "What day is the farmers market?"),
        100,
    ),
    Fact(
        "big cake order: Okonkwo-Larsen wedding Sept 21, 200 guests, 3 tiers naked cake with lingonberry and "
        "cream. deposit paid",
        ("When is the big wedding cake due?", "How many guests is the wedding cake for?"),
        75,
    ),
    Fact(
        "health inspection went fine, 96! only thing was missing the sign over the handwashing sink",
        ("What score did we get on the health inspection?", "What did the inspector ding us on?"),
        20,
    ),
    Fact(
        "Sharon Pettersen at Pettersen & Moe CPAs does our books/taxes. she wants the quarterly stuff by the "
        "10th of the month after quarter end",
        ("Who is the accountant for the bakery?", "When does Sharon need the quarterly numbers?"),
        400,
    ),
    Fact(
        "the Superior St lease is up Oct 2026 and Fratelli wants to raise rent to $3,400/mo. Lars thinks we "
        "can talk him down",
        ("When does the shop lease end?", "What is the landlord asking for rent?"),
        35,
    ),
    Fact(
        "we moved the registers to Toast, finally. goodbye Square",
        ("What POS system are we on at the shop?",),
        160,
        older="we use Square for the POS at the bakery",
        older_age_days=1400,
    ),
    Fact(
        "butter comes thru Upper Lakes Foods, our rep is Carl Benson, order by Tuesday noon for Thursday",
        ("Who is our sales rep for butter?", "What's the cutoff for butter orders?"),
        520,
    ),
    Fact(
        "coffee for the shop is from Alakef, we do their Lake Superior blend for drip and the espresso roast "
        "for lattes",
        ("Where do we get the coffee beans for the bakery?", "What blend do we brew for drip at work?"),
        850,
    ),
    Fact(
        "Lars bought a used Hobart 60 qt mixer from a closing pizza place in Cloquet for $4,800, I lent him "
        "2000 toward it. he's paying me back 200 a month",
        ("How much did I lend my brother?", "What was the loan to Lars for?"),
        230,
    ),
    # --- health ---
    Fact(
        "ortho appt for my knee: Dr. Saini at St. Luke's, Feb 20 at 1:15. they're talking cortisone shot or "
        "maybe a scope",
        ("When's my knee appointment?", "Who's the knee doctor?"),
        15,
    ),
    Fact(
        "PT (Megan) says wear the hinged brace skiing and do clamshells, wall sits and step downs 3x a week",
        ("What exercises am I supposed to be doing for my knee?", "What's my physical therapist's name?"),
        140,
    ),
    Fact(
        "doc upped my levothyroxine to 75 mcg. still first thing in the morning empty stomach",
        ("What dose is my thyroid pill?", "When am I supposed to take my thyroid med?"),
        65,
        older="I take levothyroxine 50mcg every morning",
        older_age_days=1000,
    ),
    Fact(
        "remember I'm allergic to sulfa drugs, got awful hives from bactrim in 2015",
        ("What medicine am I allergic to?", "What reaction did I have to bactrim?"),
        1450,
    ),
    Fact(
        "dentist cleaning Aug 12 8am with Dr. Lindqvist, the office on Woodland Ave",
        ("When do I see the dentist next?", "Who's my dentist?"),
        50,
    ),
    Fact(
        "mammogram came back clear. next one due next May",
        ("When is my next mammogram due?", "How did the last mammogram turn out?"),
        240,
    ),
    Fact(
        "readers are +1.75 now, bought a 3 pack at costco so I can leave one at the bakery",
        ("What strength reading glasses do I need?", "Where did I get my readers?"),
        310,
    ),
    Fact(
        "alarm is 4am on bakery days so I'm trying to be in bed by 9:30, not working great",
        ("What time do I get up for work?", "What's my bedtime goal?"),
        190,
    ),
    Fact(
        "BP at the Hy-Vee machine was 138/88. doc wants me to check it weekly and write it down",
        ("What was my last blood pressure reading?", "How often should I be checking my BP?"),
        8,
    ),
    # --- home ---
    Fact(
        "furnace filter is 16x25x4 (the Lennox), swap it every 6 months, spring and fall",
        ("What size furnace filter should I buy?", "How often does the furnace filter need changing?"),
        680,
    ),
    Fact(
        "roof quotes: Arrowhead Roofing $14,200, Northshore Exteriors $16,800. leaning towards Arrowhead, "
        "they can start in June",
        ("How much was the cheaper roof estimate?", "Which roofing company am I going with?"),
        28,
    ),
    Fact(
        "home wifi password is Tuva2011skog (capital T)",
        ("What's the wifi password at home?",),
        560,
    ),
    Fact(
        "Joe from Zenith Plumbing fixed the sump pump in the basement, $340. good guy, came out on a Sunday",
        ("Who fixed the sump pump?", "What did the sump pump repair cost?"),
        300,
    ),
    Fact(
        "Jess brought me raspberry canes from her yard, planted them along the south fence next to the rhubarb",
        ("Where did my raspberry bushes come from?", "Where in the yard did I plant the raspberries?"),
        420,
    ),
    Fact(
        "garbage and recycling go out tuesday night, pickup wed morning. recycling is every other week",
        ("Which night do the trash bins go out?", "Is recycling every week or every other week?"),
        1150,
    ),
    Fact(
        "the chimney sweep guy is from Superior Chimney Service, they do the wood stove every fall, usually "
        "around $180",
        ("Who cleans the wood stove chimney?", "About what does a chimney cleaning cost?"),
        370,
    ),
    # --- money ---
    Fact(
        "refi done!! North Shore Bank, 20 yr at 5.9%. new payment is $1,140 a month",
        ("How much is my mortgage payment now?", "Which bank has my mortgage?"),
        85,
        older="mortgage is $1,310/month through Wells Fargo",
        older_age_days=1300,
    ),
    Fact(
        "set up $200/month auto transfer into Mikkel's 529 (the MN college savings plan)",
        ("How much am I putting away each month for my son's college?",),
        450,
    ),
    Fact(
        "sailing club dues are $450/yr, due by April 1 or they give your mooring spot away",
        ("How much are the sailing club dues?", "When do I have to pay the club dues?"),
        170,
    ),
    Fact(
        "use the costco visa for gas, it's 4% back. the credit union card for everything else",
        ("Which card should I use to fill up the car?",),
        610,
    ),
    Fact(
        "car insurance is State Farm, agent Debbie Haugen, policy renews in January",
        ("Who's my car insurance agent?", "When does my auto policy renew?"),
        740,
    ),
    # --- plans & dates ---
    Fact(
        "booked Norway! leaving July 3 MSP-AMS-OSL-TOS, coming home July 20. 17 days with Pappa",
        ("When do I leave for Norway?", "When do I fly back from seeing Dad?"),
        22,
    ),
    Fact(
        "signed up for the Korteloppet, the short Birkie, Feb 22. bib 3417, wave 4",
        ("What's my bib number for the ski race?", "Which race did I enter in February?"),
        40,
    ),
    Fact(
        "Mikkel's hockey tourney in Grand Rapids Jan 17-19, we're at the Sawmill Inn, 2 rooms with the Petersons",
        ("Where are we staying for the hockey tournament?", "What dates is Mikkel's tournament?"),
        10,
    ),
    Fact(
        "keelboat class with the sailing school Tues/Thurs 6-8pm starting June 10. instructor is Pete, old "
        "guy, been sailing the big lake 40 yrs",
        ("When are my sailing lessons?", "Who's teaching my sailing class?"),
        33,
    ),
    Fact(
        "Hal at the club is selling his Catalina 22 for $6,500 with the trailer. thinking about it...",
        ("How much is that boat I'm looking at?", "Who's selling the sailboat?"),
        18,
    ),
    Fact(
        "my Norwegian passport expires March 2026, need to renew it through the consulate before the trip",
        ("When does my Norwegian passport run out?",),
        250,
    ),
    # --- volunteering ---
    Fact(
        "food shelf shifts at CHUM every other Saturday 1-4, I'm on sorting donations and checking dates",
        ("When do I volunteer at the food shelf?", "What's my job at CHUM?"),
        480,
    ),
    Fact(
        "new volunteer coordinator at the food shelf is Ashley Brandvold, Mike retired",
        ("Who's in charge of the volunteers at the food shelf?",),
        70,
        older="volunteer coordinator at CHUM is Mike Solberg",
        older_age_days=1000,
    ),
    Fact(
        "bakery day-olds go to the food shelf on Monday mornings, Lars drops them off",
        ("What happens to the leftover bread?", "Which day does the day-old stuff get dropped off?"),
        350,
    ),
    # --- preferences ---
    Fact(
        "I take coffee black in the morning, afternoon I like a splash of oat milk",
        ("How do I take my coffee?",),
        900,
    ),
    Fact(
        "cilantro tastes like soap to me, never put it in anything for me pls",
        ("What herb can't I stand?",),
        1050,
    ),
    Fact(
        "on Slow Horses season 3 ep 4, don't spoil it",
        ("Where am I in that spy show?",),
        6,
    ),
    Fact(
        "finished Anxious People, loved it. Beartown is next, Renee is lending it to me",
        ("What book am I planning to read next?", "Who's lending me Beartown?"),
        90,
    ),
    Fact(
        "Mikkel got me into Sigrid, I play her in the bakery early mornings before we open",
        ("Which Norwegian singer am I into lately?",),
        280,
    ),
    Fact(
        "favorite night out is still Sal's Lakeside, I always get the bianca pizza with the honey drizzle",
        ("What do I usually order at my favorite pizza place?", "Where do I like to go for a night out?"),
        520,
    ),
    Fact(
        "found a wine I really like - albarino, the Burgáns one from the co-op, around $16",
        ("What white wine did I like?", "Where can I buy that albarino again?"),
        160,
    ),
    # --- places ---
    Fact(
        "Korkki Nordic has the best grooming, $10 donation box. Lester Park if I only have 45 min after work",
        ("Where do I go skiing when I'm short on time?", "Which trails have the best grooming?"),
        410,
    ),
    Fact(
        "moved my prescriptions to the Hy-Vee pharmacy on Central Entrance, they text when its ready",
        ("Which pharmacy do I use now?",),
        120,
        older="my pharmacy is the Walgreens on Grand Ave",
        older_age_days=1200,
    ),
    Fact(
        "Nadia at Studio North cuts my hair, every 8 weeks-ish, she does a good job with the grey",
        ("Who does my hair?", "How often do I get a haircut?"),
        620,
    ),
    Fact(
        "Tony at Lakehead Auto did the brakes, he's honest, use him for the car from now on",
        ("Who's my mechanic?",),
        380,
    ),
    # --- possessions ---
    Fact(
        "traded in the outback, got a silver 2021 Forester. heated steering wheel!!",
        ("What car am I driving now?", "What color is my car?"),
        140,
        older="I drive a green 2014 Subaru Outback",
        older_age_days=1400,
    ),
    Fact(
        "classic skis: Fischer Twin Skin 197. skate skis are the old Salomon S/Lab",
        ("What brand are my classic skis?", "Which skate skis do I have?"),
        560,
    ),
    Fact(
        "Mamma's Nordlandsbunad is in the cedar chest in the upstairs hall closet. the sølje needs polishing "
        "before 17. mai",
        ("Where is my mom's bunad stored?", "What needs cleaning on the bunad before Constitution Day?"),
        330,
    ),
    Fact(
        "my kitchenaid at home is the red 6 qt bowl-lift pro, the attachment box is under the stairs",
        ("How big is my mixer at home?", "Where are the mixer attachments?"),
        990,
    ),
    Fact(
        "bought an inflatable Mustang life jacket for sailing. the CO2 cartridge + bobbin have to be swapped "
        "every year",
        ("What part of my PFD has to be replaced every year?", "What brand is my life jacket?"),
        45,
    ),
    # --- routines ---
    Fact(
        "Sundays I call Pappa at noon, that's 7pm in Tromsø, after his dinner",
        ("What time do I usually call my father?", "Which day do I call Dad?"),
        760,
    ),
    Fact(
        "Tuva's afternoon walk is 3:30 after I get home, Lakewalk if it's nice, Hartley Park if its icy",
        ("Where do I take the dog in the afternoon when it's icy?", "What time is Tuva's afternoon walk?"),
        400,
    ),
)
